// libhdf5 for Swift. HDF5's constants are macros over global variables (H5OPEN …_g), which
// Swift cannot import or, in Swift 6 mode, refuses as shared mutable state: each one used is
// exposed here as a function. Variable-length UTF-8 strings, awkward through pointers to
// pointers, get two small helpers.
#include <hdf5.h>
#include <stdlib.h>

static inline hid_t mc_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t mc_h5s_all(void) { return H5S_ALL; }
static inline unsigned mc_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned mc_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned mc_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t mc_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t mc_h5p_file_create(void) { return H5P_FILE_CREATE; }
static inline hid_t mc_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t mc_h5p_group_create(void) { return H5P_GROUP_CREATE; }
static inline hid_t mc_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t mc_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t mc_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t mc_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline H5Z_filter_t mc_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }
static inline H5Z_filter_t mc_h5z_filter_shuffle(void) { return H5Z_FILTER_SHUFFLE; }

/// Stops libhdf5 from printing its error stack to standard error; callers report their own.
static inline herr_t mc_h5_silence_errors(void) { return H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// A new variable-length UTF-8 string type (close it with H5Tclose).
static inline hid_t mc_h5t_utf8_string(void) {
  hid_t type = H5Tcopy(H5T_C_S1);
  if (type < 0) return type;
  if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
    H5Tclose(type);
    return -1;
  }
  return type;
}

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
