import Foundation

/// A small JSON Schema validator for the keywords report.schema.json uses: type, const, enum, required,
/// properties, additionalProperties, items, minItems, maxItems, minimum, maximum, $ref to #/$defs/NAME.
struct JSONSchemaValidator: @unchecked Sendable {
  let root: [String: Any]

  init(schema data: Data) throws {
    root = try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  /// Every violation as "path: problem"; empty when the instance is valid.
  func validate(_ instance: Any) -> [String] {
    var errors: [String] = []
    check(instance, against: root, path: "$", errors: &errors)
    return errors
  }

  private func resolve(_ schema: [String: Any]) -> [String: Any] {
    guard let reference = schema["$ref"] as? String, reference.hasPrefix("#/$defs/") else { return schema }
    let name = String(reference.dropFirst("#/$defs/".count))
    return ((root["$defs"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
  }

  private func check(_ value: Any, against rawSchema: [String: Any], path: String, errors: inout [String]) {
    let schema = resolve(rawSchema)
    if let type = schema["type"] as? String, !matches(value, type: type) {
      errors.append("\(path): expected \(type), got \(Swift.type(of: value))")
      return
    }
    if let constant = schema["const"], !equal(value, constant) { errors.append("\(path): expected \(constant)") }
    if let options = schema["enum"] as? [Any], !options.contains(where: { equal(value, $0) }) {
      errors.append("\(path): \(value) is not one of \(options)")
    }
    if let number = value as? NSNumber, !(value is Bool) {
      if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum { errors.append("\(path): below \(minimum)") }
      if let maximum = schema["maximum"] as? Double, number.doubleValue > maximum { errors.append("\(path): above \(maximum)") }
    }
    if let object = value as? [String: Any] {
      for key in schema["required"] as? [String] ?? [] where object[key] == nil {
        errors.append("\(path): missing \(key)")
      }
      let properties = schema["properties"] as? [String: Any] ?? [:]
      for (key, member) in object {
        if let propertySchema = properties[key] as? [String: Any] {
          check(member, against: propertySchema, path: "\(path).\(key)", errors: &errors)
        } else if let additional = schema["additionalProperties"] {
          if let allowed = additional as? Bool, !allowed { errors.append("\(path): unexpected \(key)") }
          if let additionalSchema = additional as? [String: Any] {
            check(member, against: additionalSchema, path: "\(path).\(key)", errors: &errors)
          }
        }
      }
    }
    if let array = value as? [Any] {
      if let minimum = schema["minItems"] as? Int, array.count < minimum { errors.append("\(path): fewer than \(minimum) items") }
      if let maximum = schema["maxItems"] as? Int, array.count > maximum { errors.append("\(path): more than \(maximum) items") }
      if let items = schema["items"] as? [String: Any] {
        for (index, item) in array.enumerated() { check(item, against: items, path: "\(path)[\(index)]", errors: &errors) }
      }
    }
  }

  private func matches(_ value: Any, type: String) -> Bool {
    switch type {
    case "object": return value is [String: Any]
    case "array": return value is [Any]
    case "string": return value is String
    case "boolean": return isBoolean(value)
    case "integer":
      guard let number = value as? NSNumber, !isBoolean(value) else { return false }
      return number.doubleValue == number.doubleValue.rounded()
    case "number": return value is NSNumber && !isBoolean(value)
    case "null": return value is NSNull
    default: return true
    }
  }

  private func isBoolean(_ value: Any) -> Bool {
    // JSONSerialization gives true/false as a boolean NSNumber (objCType "c"); 1 is an integer ("i", "q").
    guard let number = value as? NSNumber else { return false }
    return String(cString: number.objCType) == "c"
  }

  private func equal(_ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case let (x as String, y as String): return x == y
    case let (x as NSNumber, y as NSNumber): return x == y
    default: return false
    }
  }
}
