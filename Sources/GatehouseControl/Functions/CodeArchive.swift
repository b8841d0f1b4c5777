import Foundation
import GatehouseModel

/// Unpacks uploaded code into a directory, refusing what could escape it or exhaust the disk.
///
/// `.tar.gz` is listed first with GNU tar (every entry's type, size and name checked: no
/// absolute paths, no `..`, no hard links, devices or FIFOs, symlinks only to targets inside),
/// then extracted without owners or special permissions. `.zip` goes through Python's `zipfile`
/// with the same checks (it writes symlink entries as plain files). Both tools are on every
/// machine that runs Gatehouse's default runtimes.
enum CodeArchive {
    static let maxFiles = 10_000
    static let maxUnpackedBytes = 512 * 1024 * 1024

    enum Failure: Error, CustomStringConvertible {
        case refused(entry: String, reason: String)
        /// More than `limit` bytes would be unpacked.
        case tooLarge(limit: Int)
        /// `reason` is for the caller and names no host path; `log` is what the tool said.
        case unreadable(String, log: String? = nil)

        var description: String {
            switch self {
            case .refused(let entry, let reason): "archive entry '\(entry.prefix(200))' is refused: \(reason)"
            case .tooLarge(let limit): "the code unpacks to more than \(limit) bytes"
            case .unreadable(let reason, _): "the archive cannot be read: \(reason)"
            }
        }

        /// What the server's log gets beyond `description` (a tool's own words), if anything.
        var logDetail: String? {
            if case .unreadable(_, let log) = self { return log }
            return nil
        }
    }

    /// Unpacks `blob` into `directory`, refusing more than `maxUnpackedBytes` (at most
    /// `maxUnpackedBytes` of this type: the org's quota may leave less room).
    static func unpack(
        _ blob: URL, format: Function.Code.Format, filename: String?, into directory: URL, maxUnpackedBytes limit: Int = maxUnpackedBytes
    ) throws(Failure) {
        let limit = min(limit, maxUnpackedBytes)
        switch format {
        case .file:
            guard let filename, (try? CodePath.validate(filename, field: "filename")) != nil, !filename.contains("/") else {
                throw .refused(entry: filename ?? "", reason: "a single file needs a plain file name")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: blob.path))?[.size] as? Int ?? 0
            guard size <= limit else { throw .tooLarge(limit: limit) }
            do {
                try FileManager.default.copyItem(at: blob, to: directory.appendingPathComponent(filename))
            } catch {
                throw .unreadable("the file could not be stored", log: "\(error)")
            }
        case .tarGzip:
            let notTar = "not a gzip-compressed tar archive"
            try checkTarListing(try run(["tar", "-tvzf", blob.path], unreadable: notTar), maxBytes: limit)
            _ = try run(
                ["tar", "-xzf", blob.path, "-C", directory.path, "--no-same-owner", "--no-same-permissions", "--no-overwrite-dir"],
                unreadable: notTar)
        case .zip:
            _ = try run(
                ["python3", "-c", zipScript, blob.path, directory.path, String(maxFiles), String(limit)],
                unreadable: "not a zip archive")
        }
        try checkTree(directory)
    }

    /// `tar -tv` lines: `-rw-r--r-- user/group 1234 2026-01-01 00:00 path` (`-> target` for links).
    private static func checkTarListing(_ listing: String, maxBytes: Int) throws(Failure) {
        var files = 0
        var bytes = 0
        for line in listing.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, let size = Int(fields[2]) else {
                throw .unreadable("an entry could not be listed", log: "unexpected listing line '\(line.prefix(200))'")
            }
            var name = String(fields[5])
            let type = fields[0].first ?? "?"
            if type == "l", let arrow = name.range(of: " -> ") {
                let target = String(name[arrow.upperBound...])
                name = String(name[..<arrow.lowerBound])
                try checkLinkTarget(target, of: name)
            } else if type == "h" {
                throw .refused(entry: name, reason: "hard links are not accepted")
            } else if type != "-" && type != "d" {
                throw .refused(entry: name, reason: "only files, directories and symbolic links are accepted")
            }
            try checkName(name)
            files += 1
            bytes += size
            guard files <= maxFiles else { throw .refused(entry: name, reason: "more than \(maxFiles) entries") }
            guard bytes <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        }
    }

    private static func checkName(_ name: String) throws(Failure) {
        let trimmed = name.hasPrefix("./") ? String(name.dropFirst(2)) : name
        if trimmed.isEmpty || trimmed == "." { return }
        let segments = trimmed.split(separator: "/", omittingEmptySubsequences: true)
        guard !name.hasPrefix("/"), !segments.contains(".."), !name.utf8.contains(where: { $0 < 0x20 }) else {
            throw .refused(entry: name, reason: "absolute paths and '..' are not accepted")
        }
    }

    private static func checkLinkTarget(_ target: String, of name: String) throws(Failure) {
        guard !target.hasPrefix("/") else { throw .refused(entry: name, reason: "a symbolic link to an absolute path") }
        // The link's depth inside the code bounds how many `..` its target may climb.
        var depth = name.split(separator: "/").filter { $0 != "." }.count - 1
        for segment in target.split(separator: "/") {
            if segment == ".." { depth -= 1 } else if segment != "." { depth += 1 }
            guard depth >= 0 else { throw .refused(entry: name, reason: "a symbolic link that points outside the code") }
        }
    }

    /// After extraction: every symlink must resolve inside `directory`, and nothing but files,
    /// directories and such links may exist.
    private static func checkTree(_ directory: URL) throws(Failure) {
        let root = directory.resolvingSymlinksInPath().path
        guard let walker = FileManager.default.enumerator(atPath: directory.path) else { return }
        while let relative = walker.nextObject() as? String {
            let path = directory.appendingPathComponent(relative)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path.path),
                let type = attributes[.type] as? FileAttributeType
            else { continue }
            if type == .typeSymbolicLink {
                let resolved = path.resolvingSymlinksInPath().path
                guard resolved == root || resolved.hasPrefix(root + "/") else {
                    throw .refused(entry: relative, reason: "a symbolic link that points outside the code")
                }
            } else if type != .typeRegular && type != .typeDirectory {
                throw .refused(entry: relative, reason: "only files, directories and symbolic links are accepted")
            }
        }
    }

    /// Runs a tool; when it fails, the caller is told `unreadable` (what the tool wrote names host
    /// paths, so it goes to the log only), or the refusal the zip script reported.
    private static func run(_ arguments: [String], unreadable: String) throws(Failure) -> String {
        let finished: ToolProcess.Finished
        do {
            finished = try ToolProcess.run(arguments)
        } catch {
            throw .unreadable("the server could not unpack it", log: error.description)
        }
        guard finished.status == 0 else {
            let lines = finished.errors.split(separator: "\n")
            if let refusal = lines.first(where: { $0.hasPrefix("REFUSED\t") }) {
                let parts = refusal.split(separator: "\t", maxSplits: 2)
                throw .refused(entry: parts.count > 1 ? String(parts[1]) : "", reason: parts.count > 2 ? String(parts[2]) : "refused")
            }
            if lines.contains(where: { $0.hasPrefix("TOO-LARGE") }), let limit = Int(arguments.last ?? "") {
                throw .tooLarge(limit: limit)
            }
            throw .unreadable(unreadable, log: String(finished.errors.prefix(2000)))
        }
        return finished.output
    }

    /// Checks every zip entry before extracting any; refusals go to stderr as `REFUSED\tname\treason`.
    private static let zipScript = #"""
import sys, zipfile
blob, dest, max_files, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def refuse(name, reason):
    sys.stderr.write("REFUSED\t%s\t%s\n" % (name.replace("\t", " ").replace("\n", " "), reason)); sys.exit(3)
try:
    z = zipfile.ZipFile(blob)
    infos = z.infolist()
    if len(infos) > max_files: refuse(infos[max_files].filename, "more than %d entries" % max_files)
    total = 0
    for info in infos:
        name = info.filename
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if name.startswith("/") or ".." in parts or any(ord(c) < 32 for c in name) or "\\" in name:
            refuse(name, "absolute paths and '..' are not accepted")
        total += info.file_size
        if total > max_bytes: sys.stderr.write("TOO-LARGE\n"); sys.exit(4)
    z.extractall(dest)
except SystemExit:
    raise
except BaseException as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, e)); sys.exit(2)
"""#
}
