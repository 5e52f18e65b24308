import Graph

/// Where a format keeps each tensor of a graph document it stores as JSON, written into the
/// weight manifest beside the format-neutral fields: `storage` names the kind, each tensor
/// entry gets its location under ``locationKey``, and the manifest may get fields of its own.
protocol TensorLocations: Sendable {
  /// The manifest's `storage` value (`safetensors`, `hdf5`).
  static var storage: String { get }
  /// The key of each tensor's location (`shard`, `dataset`).
  static var locationKey: String { get }
  /// Tensor name → location.
  var byTensor: [String: String] { get }
  /// Reads the manifest's own fields, given every tensor's location.
  init(manifest: KeyedDecodingContainer<JSONKey>, byTensor: [String: String]) throws
  /// Writes the manifest's own fields.
  func encodeManifestFields(into manifest: inout KeyedEncodingContainer<JSONKey>) throws
}

/// Any JSON object key.
struct JSONKey: CodingKey {
  let stringValue: String
  init(_ string: String) { stringValue = string }
  init(stringValue: String) { self.stringValue = stringValue }
  var intValue: Int? { nil }
  init?(intValue: Int) { nil }
}

/// A graph document with where each of its tensors is stored, as a bundle's `graph.json` (and
/// an HDF5 export's `graph.json` dataset) holds it: the JSON of formats/bundle-v1.md.
struct LocatedGraphDocument<Locations: TensorLocations>: Codable {
  var document: GraphDocument
  var locations: Locations

  init(_ document: GraphDocument, _ locations: Locations) {
    self.document = document
    self.locations = locations
  }

  private static var weightsKey: JSONKey { JSONKey("weights") }
  private static var tensorsKey: JSONKey { JSONKey("tensors") }
  private static var storageKey: JSONKey { JSONKey("storage") }

  init(from decoder: Decoder) throws {
    document = try GraphDocument(from: decoder)
    let root = try decoder.container(keyedBy: JSONKey.self)
    let manifest = try root.nestedContainer(keyedBy: JSONKey.self, forKey: Self.weightsKey)
    let storage = try manifest.decode(String.self, forKey: Self.storageKey)
    guard storage == Locations.storage else {
      throw DecodingError.dataCorruptedError(
        forKey: Self.storageKey, in: manifest,
        debugDescription: "describes \(storage) weights, not \(Locations.storage)")
    }
    let tensors = try manifest.nestedContainer(keyedBy: JSONKey.self, forKey: Self.tensorsKey)
    var byTensor: [String: String] = [:]
    for key in tensors.allKeys {
      let entry = try tensors.nestedContainer(keyedBy: JSONKey.self, forKey: key)
      byTensor[key.stringValue] = try entry.decode(String.self, forKey: JSONKey(Locations.locationKey))
    }
    locations = try Locations(manifest: manifest, byTensor: byTensor)
  }

  func encode(to encoder: Encoder) throws {
    try document.encode(to: encoder)
    var root = encoder.container(keyedBy: JSONKey.self)
    var manifest = root.nestedContainer(keyedBy: JSONKey.self, forKey: Self.weightsKey)
    try manifest.encode(Locations.storage, forKey: Self.storageKey)
    try locations.encodeManifestFields(into: &manifest)
    var tensors = manifest.nestedContainer(keyedBy: JSONKey.self, forKey: Self.tensorsKey)
    for (name, location) in locations.byTensor {
      var entry = tensors.nestedContainer(keyedBy: JSONKey.self, forKey: JSONKey(name))
      try entry.encode(location, forKey: JSONKey(Locations.locationKey))
    }
  }
}
