// The module is its header (CBF16.h); SwiftPM builds a C target from at least one source file.
#include "CBF16.h"
