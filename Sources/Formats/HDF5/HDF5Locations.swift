/// Where an HDF5 export's tensors are: each tensor's dataset path (formats/hdf5-layout.md).
struct HDF5Locations: TensorLocations, Equatable {
  static let storage = "hdf5"
  static let locationKey = "dataset"
  /// Tensor name → dataset path.
  var byTensor: [String: String]

  init(byTensor: [String: String]) { self.byTensor = byTensor }

  init(manifest: KeyedDecodingContainer<JSONKey>, byTensor: [String: String]) throws {
    for key in ["index", "shards"] where manifest.contains(JSONKey(key)) {
      throw DecodingError.dataCorruptedError(
        forKey: JSONKey(key), in: manifest,
        debugDescription: "HDF5 weights have no index or shards")
    }
    self.byTensor = byTensor
  }

  func encodeManifestFields(into manifest: inout KeyedEncodingContainer<JSONKey>) throws {}
}
