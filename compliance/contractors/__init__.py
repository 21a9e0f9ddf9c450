"""Outsourcing (DOMAIN.md, "Outsourcing"): contractors and their qualifications, engagements at a
mine within the caps, contractor staff under the mine's rules."""
