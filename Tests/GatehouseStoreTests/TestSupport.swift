import Foundation
import GatehouseModel
@testable import GatehouseStore

/// A fresh directory under the system's temporary directory, removed when `body` returns.
@discardableResult
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("gatehouse-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory)
}

/// A store on a fresh file, closed and removed when `body` returns.
@discardableResult
func withStore<T>(_ body: (SQLiteStore, URL) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { directory in
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        return try await body(store, directory)
    }
}

func functionKey(_ org: String, _ name: String) -> ResourceKey {
    ResourceKey(kind: .function, org: org, name: name)
}

func body(_ text: String) -> Data { Data(text.utf8) }

/// The permission bits of a file, as `ls -l` shows them.
func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return ((attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
}
