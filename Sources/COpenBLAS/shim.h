// OpenBLAS, linked only into the benchmark executable, never into the product.
#include <cblas.h>
