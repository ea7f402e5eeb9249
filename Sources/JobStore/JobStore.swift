// Module JobStore: see ../../../shared/DESIGN.md (module table).
