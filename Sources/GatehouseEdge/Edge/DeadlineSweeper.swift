import NIOCore

/// Something with a deadline the sweeper watches; `sweeperSlot` is the sweeper's bookkeeping.
protocol SweptDeadline: AnyObject {
    var deadline: NIODeadline { get }
    var sweeperSlot: Int { get set }
    func deadlinePassed()
}

/// Request timeouts for one event loop, checked by one coarse periodic sweep instead of a
/// scheduled task per request.
///
/// A proxied request re-arms its timeout at the request, at the response head and at every body
/// chunk; with `scheduleTask` each arm was an allocation, a heap insert, and a cancel that
/// searches the loop's task queue — about 4% of the proxy's CPU at load. Here arming is storing
/// a deadline, adding and removing is O(1) (swap-remove by slot), and one task scans the live
/// requests every `granularity`, rescheduled only while there are requests to watch.
/// Timeouts fire up to `granularity` late, which is noise next to function timeouts.
final class DeadlineSweeper {
    static let granularity = TimeAmount.milliseconds(20)

    private let eventLoop: any EventLoop
    private var entries: [any SweptDeadline] = []
    private var task: Scheduled<Void>?

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    var count: Int { entries.count }

    func watch(_ entry: some SweptDeadline) {
        guard entry.sweeperSlot < 0 else { return }
        entry.sweeperSlot = entries.count
        entries.append(entry)
        if task == nil { scheduleSweep() }
    }

    func unwatch(_ entry: some SweptDeadline) {
        let slot = entry.sweeperSlot
        guard slot >= 0, slot < entries.count, entries[slot] === entry else { return }
        entry.sweeperSlot = -1
        let last = entries.removeLast()
        if slot < entries.count {
            entries[slot] = last
            last.sweeperSlot = slot
        }
    }

    private func sweep() {
        let now = NIODeadline.now()
        var index = 0
        while index < entries.count {
            let entry = entries[index]
            if entry.deadline <= now {
                unwatch(entry)  // moves the last entry into this slot: look at it next
                entry.deadlinePassed()
            } else {
                index += 1
            }
        }
        task = nil
        if !entries.isEmpty { scheduleSweep() }
    }

    private func scheduleSweep() {
        task = eventLoop.assumeIsolated().scheduleTask(in: Self.granularity) { [weak self] in self?.sweep() }
    }
}
