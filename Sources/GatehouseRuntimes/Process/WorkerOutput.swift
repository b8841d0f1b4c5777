import Dispatch
import Foundation
import GatehouseModel
import NIOConcurrencyHelpers

/// A worker's stdout and stderr (one pipe, so their order is kept), read as it arrives so a
/// worker that logs a lot never blocks on a full pipe, and handed out per invocation.
///
/// The read end is non-blocking and every read happens under one lock: the dispatch source
/// reads when data arrives, and `take()` reads what is already there before handing it out. A
/// worker flushes before it answers, so whatever an invocation printed is in the pipe by the
/// time its response is read, and `take()` finds it.
///
/// `@unchecked` for the dispatch source, which Dispatch does not mark `Sendable`: it is made in
/// `init`, and afterwards only cancelled, under `state`'s lock.
final class WorkerOutput: @unchecked Sendable {
    let pipe = Pipe()
    private let state = NIOLockedValueBox(Buffer())
    private let source: any DispatchSourceRead

    private struct Buffer {
        var bytes: [UInt8] = []
        var truncated = false
        var closed = false
    }

    init() {
        let fd = pipe.fileHandleForReading.fileDescriptor
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: .global())
        let state = self.state
        let source = self.source
        source.setEventHandler { Self.readAvailable(fd: fd, into: state, source: source) }
        source.resume()
    }

    /// Everything written since the last take, bounded to `Run.maxRecordedBytes`.
    func take() -> [UInt8] {
        Self.readAvailable(fd: pipe.fileHandleForReading.fileDescriptor, into: state, source: source)
        return state.withLockedValue { buffer in
            defer {
                buffer.bytes = []
                buffer.truncated = false
            }
            return buffer.truncated ? buffer.bytes + Array("\n[output cut at \(Run.maxRecordedBytes) bytes]\n".utf8) : buffer.bytes
        }
    }

    func close() {
        state.withLockedValue { buffer in
            guard !buffer.closed else { return }
            buffer.closed = true
            source.cancel()
        }
    }

    private static func readAvailable(fd: Int32, into state: NIOLockedValueBox<Buffer>, source: any DispatchSourceRead) {
        state.withLockedValue { buffer in
            guard !buffer.closed else { return }
            var chunk = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = read(fd, &chunk, chunk.count)
                if count > 0 {
                    let room = Run.maxRecordedBytes - buffer.bytes.count
                    if count > room { buffer.truncated = true }
                    buffer.bytes += chunk[..<min(count, max(0, room))]
                } else {
                    if count == 0 {  // end of file: the worker is gone
                        buffer.closed = true
                        source.cancel()
                    }
                    return
                }
            }
        }
    }
}
