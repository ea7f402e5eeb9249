// Module Daemon: see ../../../shared/DESIGN.md (module table).
