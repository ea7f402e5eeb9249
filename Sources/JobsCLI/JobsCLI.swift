// Module JobsCLI: see ../../../shared/DESIGN.md (module table).
