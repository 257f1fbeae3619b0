import Algorithms
import Display
import Foundation
import Language
import TensorCore

// The plotting functions of the language: plot, heatmap, hist, bar (issue 6).
//
// Each builds a `Figure` (Display) and shows it: through `session.onFigure` when a front end
// collects figures (stepper, notebook export), else as text printed to the interpreter's
// output, `session.columns` wide, coloured when `session.color`. `save: "name.svg"` also
// writes the SVG form under the output folder (sandboxed like every write). The functions
// return nil, so that a plot at the REPL prompt prints nothing more than the figure.

extension Runtime {
    static func installPlots(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }

        def("plot", ["y", NativeParameter("x", default: .nil), NativeParameter("labels", default: .nil), NativeParameter("title", default: .nil),
                     NativeParameter("x_label", default: .nil), NativeParameter("y_label", default: .nil), NativeParameter("smooth", default: .nil),
                     NativeParameter("height", default: .nil), NativeParameter("save", default: .nil)],
            doc: """
            plot(y, x: nil, labels: nil, title: nil, x_label: nil, y_label: nil, smooth: nil, height: nil, save: nil): a line plot. \
            y: a list of numbers (nil leaves a gap), a 1-D tensor, a list of series, a dict label → series, a 2-D tensor (one series per row), \
            or a run from train (its episode returns against steps, smoothed over ~5% of the episodes: 2, 5, 10, 20, 50 or 100). x: one list for every series or one per series. \
            smooth: n draws the mean of the last n points (raw values faint). save: "name.svg" also writes an SVG under the output folder.
            """) { a, it in
            var plot = try linePlot(a)
            plot.title = try optionalString(a[3], "plot: title") ?? plot.title
            plot.xLabel = try optionalString(a[4], "plot: x_label") ?? plot.xLabel
            plot.yLabel = try optionalString(a[5], "plot: y_label") ?? plot.yLabel
            if !a[6].isNil {
                let w = try a[6].toInt("plot: smooth")
                guard w >= 1 else { throw HostError("plot: smooth must be a window of at least 1 point, got \(w)") }
                plot.smoothing = w
            }
            if !a[7].isNil {
                let h = try a[7].toInt("plot: height")
                guard (3...100).contains(h) else { throw HostError("plot: height must be 3…100 rows, got \(h)") }
                plot.height = h
            }
            try show(plot, save: a[8], who: "plot", session: session, interpreter: it)
            return .nil
        }

        def("heatmap", ["matrix", NativeParameter("row_labels", default: .nil), NativeParameter("col_labels", default: .nil),
                        NativeParameter("title", default: .nil), NativeParameter("min", default: .nil), NativeParameter("max", default: .nil),
                        NativeParameter("save", default: .nil)],
            doc: """
            heatmap(matrix, row_labels: nil, col_labels: nil, title: nil, min: nil, max: nil, save: nil): a matrix (2-D tensor or list of lists) \
            as coloured cells — attention weights, Q-tables, beliefs. min/max fix the ends of the colour scale (default: the data's). \
            save: "name.svg" also writes an SVG with a colour bar.
            """) { a, it in
            let rows = try matrix(a[0], "heatmap: matrix")
            let columns = rows.first?.count ?? 0
            let rowLabels = try optionalLabels(a[1], "heatmap: row_labels", count: rows.count, of: "rows")
            let columnLabels = try optionalLabels(a[2], "heatmap: col_labels", count: columns, of: "columns")
            let lower = a[4].isNil ? nil : try a[4].toDouble("heatmap: min")
            let upper = a[5].isNil ? nil : try a[5].toDouble("heatmap: max")
            if let lower, let upper, !(lower < upper) { throw HostError("heatmap: min must be below max, got \(lower) and \(upper)") }
            let figure = Heatmap(rows, rowLabels: rowLabels, columnLabels: columnLabels, title: try optionalString(a[3], "heatmap: title"),
                                 lower: lower, upper: upper)
            try show(figure, save: a[6], who: "heatmap", session: session, interpreter: it)
            return .nil
        }

        def("hist", ["values", NativeParameter("bins", default: .nil), NativeParameter("title", default: .nil),
                     NativeParameter("x_label", default: .nil), NativeParameter("save", default: .nil)],
            doc: "hist(values, bins: nil, title: nil, x_label: nil, save: nil): a histogram of numbers (a list or a tensor of any shape); bins: 1…1000 (default: Sturges' rule).") { a, it in
            let values = try numbers(a[0], "hist: values", flatten: true)
            var bins: Int?
            if !a[1].isNil {
                let b = try a[1].toInt("hist: bins")
                guard (1...1000).contains(b) else { throw HostError("hist: bins must be 1…1000, got \(b)") }
                bins = b
            }
            let figure = Histogram(values, bins: bins, title: try optionalString(a[2], "hist: title"), xLabel: try optionalString(a[3], "hist: x_label"))
            try show(figure, save: a[4], who: "hist", session: session, interpreter: it)
            return .nil
        }

        def("bar", ["labels", NativeParameter("values", default: .nil), NativeParameter("title", default: .nil), NativeParameter("save", default: .nil)],
            doc: "bar(labels, values, title: nil, save: nil): horizontal bars, negative values to the left of zero; or bar({\"left\": 0.2, …}) from a dict.") { a, it in
            var labels: [String], values: [Double]
            if case .dict(let d) = a[0], a[1].isNil {
                labels = try d.keys.enumerated().map { try labelText($1, "bar: key \($0)") }
                values = try d.values.enumerated().map { try number($1, "bar: value of \"\(labels[$0])\"") }
            } else {
                guard !a[1].isNil else { throw HostError("bar needs values: bar(labels, values), or a dict label → value") }
                values = try numbers(a[1], "bar: values", flatten: false)
                labels = try optionalLabels(a[0], "bar: labels", count: values.count, of: "values") ?? []
            }
            let figure = BarChart(labels: labels, values: values, title: try optionalString(a[2], "bar: title"))
            try show(figure, save: a[3], who: "bar", session: session, interpreter: it)
            return .nil
        }
    }

    /// Shows a figure (to the front end, or as text) and writes its SVG when `save` is given.
    static func show(_ figure: any Figure, save: Value, who: String, session: Session, interpreter: Interpreter) throws {
        if !save.isNil {
            let name = try save.toStringValue("\(who): save")
            guard name.lowercased().hasSuffix(".svg") else {
                throw HostError("\(who): save writes an SVG file, so its name must end in .svg, got \"\(name)\"")
            }
            let path = try session.writablePath(name)
            do {
                try figure.svg().write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw HostError("\(who): could not write \(path): \(error.localizedDescription)")
            }
        }
        if let onFigure = session.onFigure {
            onFigure(figure)
        } else {
            interpreter.output(figure.text(width: session.columns, color: session.color) + "\n")
        }
    }

    // MARK: - Converting arguments

    /// A line plot from `plot`'s y and x (and labels).
    static func linePlot(_ a: Arguments) throws -> LinePlot {
        var series: [Series]
        var plot = LinePlot([])
        switch a[0] {
        case .host(let r as RunObject):
            let points = r.run.history["charts/episodic_return"] ?? []
            series = [Series(points.map(\.value), x: points.map { Double($0.step) }, label: "return")]
            plot.title = r.run.title
            plot.xLabel = "steps"
            plot.yLabel = "episodic return"
            // A round window of about 5% of the episodes (at most 100).
            plot.smoothing = [100, 50, 20, 10, 5, 2].first { $0 <= points.count / 20 } ?? 1
        case .dict(let d):
            series = try d.keys.enumerated().map { i, key in
                let label = try labelText(key, "plot: key \(i + 1) of y")
                return Series(try numbers(d.values[i], "plot: series \"\(label)\"", flatten: false), label: label)
            }
        case .list(let l) where l.items.contains(where: isSeriesLike):
            series = try l.items.enumerated().map { i, item in
                guard isSeriesLike(item) else {
                    throw HostError("plot: y mixes series and numbers: item \(i + 1) is \(item.describeBriefly)",
                                    help: ["give a list of numbers for one line, or a list of lists for several"])
                }
                return Series(try numbers(item, "plot: series \(i + 1)", flatten: false))
            }
        case .host(let t as TensorObject) where t.tensor.rank == 2:
            let shape = t.tensor.shape, flat = t.tensor.scalars
            series = (0..<shape[0]).map { r in Series((0..<shape[1]).map { Double(flat[r * shape[1] + $0]) }) }
        default:
            series = [Series(try numbers(a[0], "plot: y", flatten: false))]
        }
        if !a[1].isNil {
            let xs = try xValues(a[1], seriesCount: series.count)
            for i in series.indices {
                let x = xs.count == 1 ? xs[0] : xs[i]
                guard x.count == series[i].y.count else {
                    throw HostError(series.count == 1
                                    ? "plot: x has \(x.count) values but y has \(series[i].y.count)"
                                    : "plot: series \(i + 1) has \(x.count) x values but \(series[i].y.count) y values")
                }
                series[i].x = x
            }
        }
        if let labels = try optionalLabels(a[2], "plot: labels", count: series.count, of: "series") {
            for i in series.indices { series[i].label = labels[i] }
        }
        plot.series = series
        return plot
    }

    /// Whether a value is one series (a list, tensor, range) rather than a number.
    static func isSeriesLike(_ v: Value) -> Bool {
        switch v {
        case .list, .range: return true
        case .host(let t as TensorObject): return t.tensor.rank >= 1
        default: return false
        }
    }

    /// x values: one list for all series, or one list per series.
    static func xValues(_ v: Value, seriesCount: Int) throws -> [[Double]] {
        if case .list(let l) = v, l.items.contains(where: isSeriesLike) {
            guard l.items.count == seriesCount else {
                throw HostError("plot: x has \(l.items.count) lists but there \(seriesCount == 1 ? "is 1 series" : "are \(seriesCount) series")",
                                help: ["give one list of x values for every series, or one per series"])
            }
            return try l.items.enumerated().map { try numbers($1, "plot: x of series \($0 + 1)", flatten: false) }
        }
        return [try numbers(v, "plot: x", flatten: false)]
    }

    /// One number (nil is NaN: a gap).
    static func number(_ v: Value, _ what: String) throws -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .nil: return .nan
        case .host(let t as TensorObject) where t.tensor.count == 1: return Double(t.tensor.scalars[0])
        default: throw HostError("\(what) must be a number, got \(v.describeBriefly)")
        }
    }

    /// Numbers from a list (nil entries are NaN), a range, or a tensor (1-D, or any shape
    /// with `flatten`).
    static func numbers(_ v: Value, _ what: String, flatten: Bool) throws -> [Double] {
        switch v {
        case .list(let l):
            return try l.items.enumerated().map { i, item in
                switch item {
                case .int(let n): return Double(n)
                case .float(let d): return d
                case .nil: return .nan
                case .host(let t as TensorObject) where t.tensor.count == 1: return Double(t.tensor.scalars[0])
                default:
                    throw HostError("\(what) must hold numbers, but the value at index \(i) is \(item.describeBriefly)")
                }
            }
        case .range(let r): return (0..<r.count).map { Double(r.lower + $0 * r.step) }
        case .host(let t as TensorObject):
            guard flatten || t.tensor.rank <= 1 else {
                throw HostError("\(what) must be 1-D, got a tensor of shape \(t.tensor.shape)",
                                help: ["plot a 2-D tensor directly (one series per row), or pick a row with t[i]"])
            }
            return t.tensor.scalars.map(Double.init)
        case .host(let r as RunObject): return r.run.episodeReturns
        default:
            throw HostError("\(what) must be a list of numbers or a tensor, got \(v.describeBriefly)")
        }
    }

    /// A matrix from a 2-D tensor (a 1-D one is one row) or a list of equal-length lists.
    static func matrix(_ v: Value, _ what: String) throws -> [[Double]] {
        switch v {
        case .host(let t as TensorObject):
            let shape = t.tensor.shape, flat = t.tensor.scalars.map(Double.init)
            switch shape.count {
            case 1: return [flat]
            case 2: return (0..<shape[0]).map { Array(flat[($0 * shape[1])..<(($0 + 1) * shape[1])]) }
            default: throw HostError("\(what) must be 2-D, got a tensor of shape \(shape)", help: ["pick one matrix, e.g. weights[0]"])
            }
        case .list(let l):
            guard l.items.contains(where: isSeriesLike) else { return [try numbers(v, what, flatten: false)] }
            let rows = try l.items.enumerated().map { try numbers($1, "\(what): row \($0 + 1)", flatten: false) }
            if let first = rows.first, let bad = rows.firstIndex(where: { $0.count != first.count }) {
                throw HostError("\(what): row \(bad + 1) has \(rows[bad].count) values but row 1 has \(first.count)")
            }
            return rows
        default:
            throw HostError("\(what) must be a 2-D tensor or a list of lists of numbers, got \(v.describeBriefly)")
        }
    }

    /// Text of a label (strings, and numbers or booleans written out).
    static func labelText(_ v: Value, _ what: String) throws -> String {
        switch v {
        case .string(let s): return s.value
        case .int(let i): return String(i)
        case .float(let d): return NumberFormat.compact(d)
        case .bool(let b): return String(b)
        default: throw HostError("\(what) must be a string, got \(v.describeBriefly)")
        }
    }

    /// nil, or exactly `count` labels.
    static func optionalLabels(_ v: Value, _ what: String, count: Int, of things: String) throws -> [String]? {
        if v.isNil { return nil }
        let items: [Value]
        switch v {
        case .list(let l): items = l.items
        case .range(let r): items = (0..<r.count).map { .int(r.lower + $0 * r.step) }
        default: throw HostError("\(what) must be a list of names, got \(v.describeBriefly)")
        }
        guard items.count == count else {
            throw HostError("\(what) has \(items.count) name\(items.count == 1 ? "" : "s") but there \(count == 1 ? "is" : "are") \(count) \(things)")
        }
        return try items.enumerated().map { try labelText($1, "\(what)[\($0)]") }
    }

    static func optionalString(_ v: Value, _ what: String) throws -> String? {
        v.isNil ? nil : try v.toStringValue(what)
    }
}
