/// Lets one code upload of an org at a time check the org's storage quota, unpack and save its
/// function, so two concurrent uploads cannot both fit in the room left for one. Uploads of
/// different orgs do not wait for each other.
actor OrgUploadLock {
    static let shared = OrgUploadLock()

    private var busy: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func exclusive<T: Sendable>(org: String, _ body: @Sendable () async throws -> T) async throws -> T {
        await acquire(org)
        do {
            let result = try await body()
            release(org)
            return result
        } catch {
            release(org)
            throw error
        }
    }

    private func acquire(_ org: String) async {
        guard busy.contains(org) else {
            busy.insert(org)
            return
        }
        await withCheckedContinuation { waiting[org, default: []].append($0) }
    }

    /// Hands the org to the next waiting upload, if any.
    private func release(_ org: String) {
        guard var queue = waiting[org], !queue.isEmpty else {
            busy.remove(org)
            return
        }
        let next = queue.removeFirst()
        waiting[org] = queue.isEmpty ? nil : queue
        next.resume()
    }
}
