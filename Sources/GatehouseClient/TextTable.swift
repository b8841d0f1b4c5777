/// Lays out rows under headers in columns padded to their widest cell, three spaces apart,
/// the last column unpadded (so lines carry no trailing blanks).
public struct TextTable: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[String]]

    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    public var rendered: String {
        let lines = [headers] + rows
        let widths = headers.indices.map { column in
            lines.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        return lines.map { cells in
            headers.indices.map { column -> String in
                let cell = column < cells.count ? cells[column] : ""
                let isLast = column == headers.count - 1
                return isLast ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }
            .joined(separator: "   ")
        }
        .joined(separator: "\n") + "\n"
    }
}
