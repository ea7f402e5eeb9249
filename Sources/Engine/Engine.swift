// Module Engine: see ../../../shared/DESIGN.md (module table).
