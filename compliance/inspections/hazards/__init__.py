"""Hidden dangers (事故隐患) and their closed loop: 排查 → 登记 → 治理 → 督办 → 验收 → 销号.

Part of the inspections capability (DESIGN.md: "inspections, on-the-spot exams, hazards and their
closed loop"), split into its own subpackage by area: ``models`` (hazards, findings, the
major-hazard criteria as data), ``machine`` (the state machine), ``services`` (every write),
``selectors`` (every read), ``criteria`` (the shipped catalogues), ``api``, ``views``, ``forms``,
``tasks`` (overdue escalation), ``demo`` and ``report`` (the monthly self-check report PDF).
"""
