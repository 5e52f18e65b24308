// libhdf5 for Swift, loaded at run time.
//
// The library is opened with dlopen by mc_h5_load, which every user calls first; the HDF5
// functions mixer-convert uses are defined here as calls through the pointers it resolves
// (library.c), so the rest of the code calls them by their own names. Linked directly,
// libhdf5 and the libraries it needs (libcurl, Kerberos, LDAP, GnuTLS …) cost every process
// 3-4 ms at start, HDF5 or not.
//
// HDF5's constants are macros over global variables (H5OPEN …_g), which Swift cannot import or,
// in Swift 6 mode, refuses as shared mutable state: each one used is a function here.
// Variable-length UTF-8 strings, awkward through pointers to pointers, get small helpers.
#ifndef CHDF5_H
#define CHDF5_H

// Debian and Ubuntu keep the serial build's headers in a directory of their own (a system
// library target would find it through pkg-config, and link the library too).
#if __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#else
#include <hdf5.h>
#endif
#include <stddef.h>

/// Opens libhdf5 and resolves every function and constant used, once per process (later calls
/// return the first outcome). Returns 0, or -1 with a one-line reason in `reason`: no libhdf5
/// installed, a symbol missing, or a release other than the 1.x this was built against.
/// Check with it before calling anything else here: the other functions load the library
/// themselves when first called, and stop the process when it cannot be loaded.
int mc_h5_load(char *reason, size_t capacity);

hid_t mc_h5p_file_access(void);
hid_t mc_h5p_file_create(void);
hid_t mc_h5p_dataset_create(void);
hid_t mc_h5p_group_create(void);
hid_t mc_h5p_link_create(void);
hid_t mc_h5t_ieee_f32le(void);
hid_t mc_h5t_std_i64le(void);
hid_t mc_h5t_native_int64(void);

static inline hid_t mc_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mc_h5s_all(void) { return H5S_ALL; }
static inline unsigned mc_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned mc_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mc_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline H5Z_filter_t mc_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }
static inline H5Z_filter_t mc_h5z_filter_shuffle(void) { return H5Z_FILTER_SHUFFLE; }

/// Stops libhdf5 from printing its error stack to standard error; callers report their own.
static inline herr_t mc_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// A new variable-length UTF-8 string type (close it with H5Tclose).
hid_t mc_h5t_utf8_string(void);

/// Writes one variable-length UTF-8 string through `write(object, type, buffer)`'s signature:
/// H5Awrite for attributes, or H5Dwrite on a scalar dataset.
static inline herr_t mc_h5a_write_string(hid_t attribute, hid_t type, const char *value) {
  return H5Awrite(attribute, type, &value);
}
static inline herr_t mc_h5d_write_string(hid_t dataset, hid_t type, const char *value) {
  return H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
}

/// Reads a scalar variable-length string; `*value` is malloc'd by libhdf5 (free with
/// mc_h5_free_string) or NULL.
static inline herr_t mc_h5a_read_string(hid_t attribute, hid_t type, char **value) {
  *value = NULL;
  return H5Aread(attribute, type, value);
}
static inline herr_t mc_h5d_read_string(hid_t dataset, hid_t type, char **value) {
  *value = NULL;
  return H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, value);
}
static inline void mc_h5_free_string(char *value) { if (value) H5free_memory(value); }

#endif
