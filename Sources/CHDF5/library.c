#include "CHDF5.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every libhdf5 function mixer-convert calls: return type, name, parameters, arguments. Each is
   defined below under its own name as a call through a pointer mc_h5_load resolves, with the
   prototype hdf5.h declares (a mismatch does not compile). A function used anywhere, tests
   included, must be listed. */
#define HDF5_FUNCTIONS(X)                                                                          \
  X(hid_t, H5Acreate2, (hid_t a, const char *b, hid_t c, hid_t d, hid_t e, hid_t f), (a, b, c, d, e, f)) \
  X(htri_t, H5Aexists, (hid_t a, const char *b), (a, b))                                            \
  X(hid_t, H5Aopen, (hid_t a, const char *b, hid_t c), (a, b, c))                                   \
  X(herr_t, H5Awrite, (hid_t a, hid_t b, const void *c), (a, b, c))                                 \
  X(herr_t, H5Aread, (hid_t a, hid_t b, void *c), (a, b, c))                                        \
  X(herr_t, H5Aclose, (hid_t a), (a))                                                               \
  X(hid_t, H5Aget_type, (hid_t a), (a))                                                             \
  X(hid_t, H5Aget_space, (hid_t a), (a))                                                            \
  X(hid_t, H5Dcreate2, (hid_t a, const char *b, hid_t c, hid_t d, hid_t e, hid_t f, hid_t g),       \
    (a, b, c, d, e, f, g))                                                                         \
  X(hid_t, H5Dget_create_plist, (hid_t a), (a))                                                     \
  X(hid_t, H5Dget_space, (hid_t a), (a))                                                            \
  X(hsize_t, H5Dget_storage_size, (hid_t a), (a))                                                   \
  X(hid_t, H5Dget_type, (hid_t a), (a))                                                             \
  X(hid_t, H5Dopen2, (hid_t a, const char *b, hid_t c), (a, b, c))                                  \
  X(herr_t, H5Dread, (hid_t a, hid_t b, hid_t c, hid_t d, hid_t e, void *f), (a, b, c, d, e, f))    \
  X(herr_t, H5Dwrite, (hid_t a, hid_t b, hid_t c, hid_t d, hid_t e, const void *f), (a, b, c, d, e, f)) \
  X(herr_t, H5Dclose, (hid_t a), (a))                                                               \
  X(hid_t, H5Fcreate, (const char *a, unsigned b, hid_t c, hid_t d), (a, b, c, d))                  \
  X(herr_t, H5Fget_vfd_handle, (hid_t a, hid_t b, void **c), (a, b, c))                             \
  X(hid_t, H5Fopen, (const char *a, unsigned b, hid_t c), (a, b, c))                                \
  X(herr_t, H5Fclose, (hid_t a), (a))                                                               \
  X(hid_t, H5Gcreate2, (hid_t a, const char *b, hid_t c, hid_t d, hid_t e), (a, b, c, d, e))        \
  X(herr_t, H5Gclose, (hid_t a), (a))                                                               \
  X(herr_t, H5Lcreate_external, (const char *a, const char *b, hid_t c, const char *d, hid_t e, hid_t f), \
    (a, b, c, d, e, f))                                                                            \
  X(herr_t, H5Lcreate_hard, (hid_t a, const char *b, hid_t c, const char *d, hid_t e, hid_t f),     \
    (a, b, c, d, e, f))                                                                            \
  X(herr_t, H5Lcreate_soft, (const char *a, hid_t b, const char *c, hid_t d, hid_t e), (a, b, c, d, e)) \
  X(herr_t, H5Ldelete, (hid_t a, const char *b, hid_t c), (a, b, c))                                \
  X(htri_t, H5Lexists, (hid_t a, const char *b, hid_t c), (a, b, c))                                \
  X(herr_t, H5Lget_info, (hid_t a, const char *b, H5L_info_t *c, hid_t d), (a, b, c, d))            \
  X(herr_t, H5Lmove, (hid_t a, const char *b, hid_t c, const char *d, hid_t e, hid_t f), (a, b, c, d, e, f)) \
  X(hid_t, H5Pcreate, (hid_t a), (a))                                                               \
  X(herr_t, H5Pclose, (hid_t a), (a))                                                               \
  X(int, H5Pget_external_count, (hid_t a), (a))                                                     \
  X(H5Z_filter_t, H5Pget_filter2,                                                                  \
    (hid_t a, unsigned b, unsigned int *c, size_t *d, unsigned e[], size_t f, char g[], unsigned *h), \
    (a, b, c, d, e, f, g, h))                                                                      \
  X(H5D_layout_t, H5Pget_layout, (hid_t a), (a))                                                    \
  X(int, H5Pget_nfilters, (hid_t a), (a))                                                           \
  X(herr_t, H5Pset_chunk, (hid_t a, int b, const hsize_t c[]), (a, b, c))                           \
  X(herr_t, H5Pset_deflate, (hid_t a, unsigned b), (a, b))                                          \
  X(herr_t, H5Pset_file_locking, (hid_t a, hbool_t b, hbool_t c), (a, b, c))                        \
  X(herr_t, H5Pset_obj_track_times, (hid_t a, hbool_t b), (a, b))                                   \
  X(herr_t, H5Pset_shuffle, (hid_t a), (a))                                                         \
  X(hid_t, H5Screate, (H5S_class_t a), (a))                                                         \
  X(hid_t, H5Screate_simple, (int a, const hsize_t b[], const hsize_t c[]), (a, b, c))              \
  X(herr_t, H5Sclose, (hid_t a), (a))                                                               \
  X(int, H5Sget_simple_extent_dims, (hid_t a, hsize_t b[], hsize_t c[]), (a, b, c))                 \
  X(int, H5Sget_simple_extent_ndims, (hid_t a), (a))                                                \
  X(H5S_class_t, H5Sget_simple_extent_type, (hid_t a), (a))                                         \
  X(hid_t, H5Tcopy, (hid_t a), (a))                                                                 \
  X(hid_t, H5Tcreate, (H5T_class_t a, size_t b), (a, b))                                            \
  X(herr_t, H5Tclose, (hid_t a), (a))                                                               \
  X(htri_t, H5Tequal, (hid_t a, hid_t b), (a, b))                                                   \
  X(H5T_class_t, H5Tget_class, (hid_t a), (a))                                                      \
  X(size_t, H5Tget_ebias, (hid_t a), (a))                                                           \
  X(herr_t, H5Tget_fields, (hid_t a, size_t *b, size_t *c, size_t *d, size_t *e, size_t *f), (a, b, c, d, e, f)) \
  X(H5T_order_t, H5Tget_order, (hid_t a), (a))                                                      \
  X(size_t, H5Tget_size, (hid_t a), (a))                                                            \
  X(htri_t, H5Tis_variable_str, (hid_t a), (a))                                                     \
  X(herr_t, H5Tset_ebias, (hid_t a, size_t b), (a, b))                                              \
  X(herr_t, H5Tset_fields, (hid_t a, size_t b, size_t c, size_t d, size_t e, size_t f), (a, b, c, d, e, f)) \
  X(herr_t, H5Tset_precision, (hid_t a, size_t b), (a, b))                                          \
  X(herr_t, H5Tset_size, (hid_t a, size_t b), (a, b))                                               \
  X(herr_t, H5Tset_cset, (hid_t a, H5T_cset_t b), (a, b))                                           \
  X(herr_t, H5dont_atexit, (void), ())                                                              \
  X(herr_t, H5get_libversion, (unsigned *a, unsigned *b, unsigned *c), (a, b, c))                   \
  X(herr_t, H5check_version, (unsigned a, unsigned b, unsigned c), (a, b, c))                       \
  X(herr_t, H5open, (void), ())                                                                     \
  X(herr_t, H5Eset_auto2, (hid_t a, H5E_auto2_t b, void *c), (a, b, c))                             \
  X(herr_t, H5free_memory, (void *a), (a))

/* The global variables behind the constants used (each read after H5open). */
#define HDF5_CONSTANTS(X)                                                                          \
  X(mc_h5p_file_access, H5P_CLS_FILE_ACCESS_ID_g)                                                  \
  X(mc_h5p_file_create, H5P_CLS_FILE_CREATE_ID_g)                                                  \
  X(mc_h5p_dataset_create, H5P_CLS_DATASET_CREATE_ID_g)                                            \
  X(mc_h5p_group_create, H5P_CLS_GROUP_CREATE_ID_g)                                                \
  X(mc_h5p_link_create, H5P_CLS_LINK_CREATE_ID_g)                                                  \
  X(mc_h5t_ieee_f32le, H5T_IEEE_F32LE_g)                                                           \
  X(mc_h5t_std_i64le, H5T_STD_I64LE_g)                                                             \
  X(mc_h5t_native_int64, H5T_NATIVE_INT64_g)                                                       \
  X(mc_h5t_c_s1, H5T_C_S1_g)

/* The constant the UTF-8 string type starts from; not needed outside. */
hid_t mc_h5t_c_s1(void);

#define POINTER(type, name, parameters, arguments) static __typeof__(&name) resolved_##name;
HDF5_FUNCTIONS(POINTER)
#define VARIABLE(accessor, variable) static const hid_t *resolved_##variable;
HDF5_CONSTANTS(VARIABLE)

static void require_loaded(void);

#define FORWARD(type, name, parameters, arguments) \
  type name parameters {                           \
    require_loaded();                              \
    return resolved_##name arguments;              \
  }
HDF5_FUNCTIONS(FORWARD)
#define ACCESSOR(accessor, variable) \
  hid_t accessor(void) {             \
    H5open();                        \
    return *resolved_##variable;     \
  }
HDF5_CONSTANTS(ACCESSOR)

/* Sonames of libhdf5's 1.10 releases (ABI 103): Debian's serial build, then the plain name. */
static const char *const library_names[] = {"libhdf5_serial.so.103", "libhdf5.so.103"};

static char failure[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
  void *library = NULL;
  for (size_t i = 0; i < sizeof library_names / sizeof *library_names && !library; i++) {
    library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
  }
  if (!library) {
    snprintf(failure, sizeof failure, "libhdf5 %d.%d is not installed (no %s or %s could be loaded)", H5_VERS_MAJOR,
             H5_VERS_MINOR, library_names[0], library_names[1]);
    return;
  }
#define RESOLVE(type, name, parameters, arguments)                                                     \
  if (!(resolved_##name = (__typeof__(&name))dlsym(library, #name))) {                             \
    snprintf(failure, sizeof failure, "libhdf5 has no %s", #name);                                 \
    return;                                                                                        \
  }
  HDF5_FUNCTIONS(RESOLVE)
#define RESOLVE_VARIABLE(accessor, variable)                                                        \
  if (!(resolved_##variable = (const hid_t *)dlsym(library, #variable))) {                         \
    snprintf(failure, sizeof failure, "libhdf5 has no %s", #variable);                             \
    return;                                                                                        \
  }
  HDF5_CONSTANTS(RESOLVE_VARIABLE)
  /* Through the pointers: the definitions wait for this very function to end. libhdf5's
     clean-up at exit is turned off before anything initialises the library (H5get_libversion
     does): after a write failed (a full disk) it closes the file a second time and crashes.
     Every object is closed by its owner instead, and the process's end releases the rest. */
  resolved_H5dont_atexit();
  unsigned major = 0, minor = 0, release = 0;
  if (resolved_H5get_libversion(&major, &minor, &release) < 0 || major != H5_VERS_MAJOR || minor != H5_VERS_MINOR) {
    snprintf(failure, sizeof failure, "libhdf5 %u.%u.%u is installed; mixer-convert was built against %d.%d", major,
             minor, release, H5_VERS_MAJOR, H5_VERS_MINOR);
  }
}

/* Loads the library on the first call of any function here; one made without mc_h5_load having
   succeeded first is a mistake of the caller's, stopped here rather than through a null pointer. */
static void require_loaded(void) {
  pthread_once(&load_once, load);
  if (failure[0]) {
    fprintf(stderr, "mixer-convert: libhdf5 called without checking that it loads: %s\n", failure);
    abort();
  }
}

int mc_h5_load(char *reason, size_t capacity) {
  pthread_once(&load_once, load);
  if (!failure[0]) return 0;
  snprintf(reason, capacity, "%s", failure);
  return -1;
}

hid_t mc_h5t_utf8_string(void) {
  hid_t type = H5Tcopy(mc_h5t_c_s1());
  if (type < 0) return type;
  if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
    H5Tclose(type);
    return -1;
  }
  return type;
}
