// Debian installs OpenBLAS's CBLAS header under a per-variant folder (openblas-pthread);
// pkg-config adds it to the include path.
#include <cblas.h>
