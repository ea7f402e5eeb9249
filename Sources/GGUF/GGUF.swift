// Module GGUF: see ../../../shared/DESIGN.md (module table).
