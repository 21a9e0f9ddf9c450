"""The mine-manager posts (五职矿长), their filings (报备), leaders on shift (带班下井)."""
