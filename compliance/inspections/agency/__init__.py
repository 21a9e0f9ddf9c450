"""A regulator agency's own records at a mine: its inspections and their findings, and its
supervision listings of major hazards (挂牌督办) — agency-owned (``tenants.models.AgencyOwned``):
the agency writes them, the mine's tenant reads them, other agencies see nothing. docs/hazards.md
("Regulators' own records")."""
