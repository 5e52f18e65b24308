import CHDF5
import Foundation

/// libhdf5, loaded when first needed (``CHDF5``'s `mc_h5_load`, which also turns off its
/// clean-up at exit: every object is closed by its ``HDF5Handle``) and opened once with its own
/// error-stack printing turned off: every failure is reported by us, as one line naming the file.
public enum HDF5Library {
  /// Why libhdf5 cannot be used (not installed, another release, failed to initialise), or nil
  /// when it is ready; touch it before any other HDF5 call.
  public static let unavailable: String? = {
    var reason = [UInt8](repeating: 0, count: 320)
    let loaded = reason.withUnsafeMutableBufferPointer { mc_h5_load($0.baseAddress, $0.count) }
    guard loaded == 0 else { return String(decoding: reason.prefix { $0 != 0 }, as: UTF8.self) }
    return H5open() >= 0 && mc_h5_silence_errors() >= 0 ? nil : "libhdf5 failed to initialise"
  }()

  /// The release loaded (`1.10.8`), or nil when it cannot be used.
  public static var version: String? {
    guard unavailable == nil else { return nil }
    var (major, minor, release): (UInt32, UInt32, UInt32) = (0, 0, 0)
    H5get_libversion(&major, &minor, &release)
    return "\(major).\(minor).\(release)"
  }

  /// Throws `calls`' error naming the file when libhdf5 cannot be used.
  static func require(_ calls: HDF5Calls) throws {
    if let reason = unavailable { throw calls.error(reason) }
  }
}

/// An HDF5 identifier (file, group, dataset, dataspace, datatype, property list or attribute)
/// that is closed when released.
final class HDF5Handle {
  let id: hid_t
  private let close: (hid_t) -> herr_t
  private var isOpen = true

  /// Wraps `id`, or throws `failure()` when libhdf5 returned an error (a negative id).
  init(_ id: hid_t, close: @escaping (hid_t) -> herr_t, or failure: @autoclosure () -> Error) throws {
    guard id >= 0 else { throw failure() }
    self.id = id
    self.close = close
  }

  /// Closes the object now, returning libhdf5's status (closing a file writes what it still
  /// holds: a failure there means the file is incomplete).
  func closeNow() -> herr_t {
    isOpen = false
    return close(id)
  }

  deinit { if isOpen { _ = close(id) } }
}

/// How ``HDF5Calls/file(_:_:or:)`` opens a file.
enum HDF5FileMode {
  /// A new file; fails when the name exists.
  case create
  case readOnly
  case readWrite
}

/// The HDF5 calls mixer-convert makes, each failure turned into a ``ExportFileError`` that names
/// the file (and the object, when there is one).
struct HDF5Calls {
  /// The file, for error messages.
  let path: String

  func error(_ reason: String, tensor: String? = nil) -> ExportFileError {
    ExportFileError(path: path, tensor: tensor, reason: reason)
  }

  func check(_ status: herr_t, _ what: @autoclosure () -> String) throws {
    guard status >= 0 else { throw error(what()) }
  }

  /// Runs a libhdf5 call that writes to the file; a failure names `what` with the system's
  /// reason when the call left one that a write gives (`No space left on device`, a quota, a
  /// file too large, an I/O error), else asks whether the disk is full.
  func writing(_ what: @autoclosure () -> String, _ call: () -> herr_t) throws {
    errno = 0
    let status = call()
    let cause = errno
    guard status < 0 else { return }
    let storage = [ENOSPC, EDQUOT, EFBIG, EIO].contains(cause)
    throw error(what() + (storage ? ": " + String(cString: strerror(cause)) : " (is the disk full?)"))
  }

  /// Writes `dataset` with `write`, then closes it, each checked by ``writing(_:_:)``: closing a
  /// chunked (compressed) dataset writes the chunks libhdf5 still holds.
  func writeAndClose(_ dataset: HDF5Handle, _ what: @autoclosure () -> String, _ write: () -> herr_t) throws {
    try writing(what(), write)
    try writing(what()) { dataset.closeNow() }
  }

  /// Whether `path` (`a/b/c`) leads from `file` to an object through hard links only.
  ///
  /// - Returns: false when a component is missing.
  /// - Throws: when a component is a soft, external or user-defined link: an external link
  ///   reads another file, and mixer-convert writes hard links only.
  func hardLinked(_ file: hid_t, _ path: String, tensor: String? = nil) throws -> Bool {
    let components = path.split(separator: "/")
    for prefix in components.indices.map({ components[0...$0].joined(separator: "/") }) {
      // H5Lexists fails, rather than answering no, when a parent group is missing: hence each level.
      guard H5Lexists(file, prefix, mc_h5p_default()) > 0 else { return false }
      var info = H5L_info_t()
      guard H5Lget_info(file, prefix, &info, mc_h5p_default()) >= 0 else {
        throw error("cannot read the link '\(prefix)'", tensor: tensor)
      }
      guard info.type == H5L_TYPE_HARD else {
        let kind = info.type == H5L_TYPE_EXTERNAL ? "an external link (to another file)" : "not a hard link"
        throw error("'\(prefix)' is \(kind): refused", tensor: tensor)
      }
    }
    return true
  }

  /// Creates (exclusively) or opens the file `name`, with libhdf5's own file locking off and
  /// its descriptor closed on `exec`.
  ///
  /// libhdf5 (from 1.10.7) `flock`s every file it opens, on a descriptor it leaves open across
  /// `exec`. A child process shares its parent's open files from the moment it is created until
  /// it closes them or starts its program (and for its whole life when started without closing
  /// them), and while it does the lock refuses every other open of the file, which libhdf5
  /// reports as a file it cannot open. mixer-convert needs no such lock: it writes a fresh
  /// temporary sibling under its own ``OutputLock`` and reads finished files. (The descriptor
  /// is marked just after libhdf5 opens it, so a child created by another thread in between
  /// still gets a copy: harmless without the lock. The default file driver, sec2, is the one
  /// whose handle is a descriptor.)
  func file(_ name: String, _ mode: HDF5FileMode, or failure: @autoclosure () -> Error) throws -> HDF5Handle {
    try HDF5Library.require(self)
    let access = try propertyList(mc_h5p_file_access())
    try check(H5Pset_file_locking(access.id, false, true), "cannot turn off libhdf5's file locking")
    let id =
      switch mode {
      case .create: H5Fcreate(name, mc_h5f_acc_excl(), mc_h5p_default(), access.id)
      case .readOnly: H5Fopen(name, mc_h5f_acc_rdonly(), access.id)
      case .readWrite: H5Fopen(name, mc_h5f_acc_rdwr(), access.id)
      }
    let file = try HDF5Handle(id, close: H5Fclose, or: failure())
    var handle: UnsafeMutableRawPointer?
    guard H5Fget_vfd_handle(file.id, access.id, &handle) >= 0,
      let descriptor = handle?.assumingMemoryBound(to: Int32.self).pointee,
      fcntl(descriptor, F_SETFD, FD_CLOEXEC) == 0
    else { throw error("cannot mark libhdf5's file descriptor close-on-exec") }
    return file
  }

  func propertyList(_ kind: hid_t) throws -> HDF5Handle {
    try HDF5Handle(H5Pcreate(kind), close: H5Pclose, or: error("libhdf5 cannot create a property list"))
  }

  func scalarSpace() throws -> HDF5Handle {
    try HDF5Handle(H5Screate(H5S_SCALAR), close: H5Sclose, or: error("libhdf5 cannot create a dataspace"))
  }

  func simpleSpace(_ dims: [Int]) throws -> HDF5Handle {
    let extents = dims.map { hsize_t($0) }
    return try HDF5Handle(
      H5Screate_simple(Int32(extents.count), extents, nil), close: H5Sclose,
      or: error("libhdf5 cannot create a dataspace of shape \(dims)"))
  }

  func utf8StringType() throws -> HDF5Handle {
    try HDF5Handle(mc_h5t_utf8_string(), close: H5Tclose, or: error("libhdf5 cannot create a string type"))
  }

  /// Writes a variable-length UTF-8 string attribute, as h5py writes Python strings.
  func writeAttribute(_ object: hid_t, _ name: String, _ value: String) throws {
    let type = try utf8StringType()
    let space = try scalarSpace()
    let attribute = try HDF5Handle(
      H5Acreate2(object, name, type.id, space.id, mc_h5p_default(), mc_h5p_default()),
      close: H5Aclose, or: error("cannot create attribute '\(name)'"))
    try check(mc_h5a_write_string(attribute.id, type.id, value), "cannot write attribute '\(name)'")
  }

  /// Writes a one-dimensional 64-bit integer attribute.
  func writeAttribute(_ object: hid_t, _ name: String, _ values: [Int]) throws {
    let space = try simpleSpace([values.count])
    let attribute = try HDF5Handle(
      H5Acreate2(object, name, mc_h5t_std_i64le(), space.id, mc_h5p_default(), mc_h5p_default()),
      close: H5Aclose, or: error("cannot create attribute '\(name)'"))
    let wide = values.map(Int64.init)
    try check(H5Awrite(attribute.id, mc_h5t_native_int64(), wide), "cannot write attribute '\(name)'")
  }

  /// Reads a scalar variable-length string attribute, or nil when the object has none.
  func readStringAttribute(_ object: hid_t, _ name: String) throws -> String? {
    guard H5Aexists(object, name) > 0 else { return nil }
    let attribute = try HDF5Handle(
      H5Aopen(object, name, mc_h5p_default()), close: H5Aclose,
      or: error("cannot open attribute '\(name)'"))
    return try readString(
      attribute.id, what: "attribute '\(name)'", read: mc_h5a_read_string, type: H5Aget_type,
      space: H5Aget_space)
  }

  /// Reads a scalar variable-length string from an attribute or dataset.
  func readString(
    _ object: hid_t, what: String, read: (hid_t, hid_t, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> herr_t,
    type: (hid_t) -> hid_t, space: (hid_t) -> hid_t
  ) throws -> String {
    let stored = try HDF5Handle(type(object), close: H5Tclose, or: error("cannot read the type of \(what)"))
    let extent = try HDF5Handle(space(object), close: H5Sclose, or: error("cannot read the shape of \(what)"))
    guard H5Tget_class(stored.id) == H5T_STRING, H5Tis_variable_str(stored.id) > 0,
      H5Sget_simple_extent_type(extent.id) == H5S_SCALAR
    else {
      throw error("\(what) is not a variable-length string")
    }
    let memory = try utf8StringType()
    var value: UnsafeMutablePointer<CChar>?
    try check(read(object, memory.id, &value), "cannot read \(what)")
    defer { mc_h5_free_string(value) }
    guard let value else { throw error("\(what) is empty") }
    return String(cString: value)
  }
}
