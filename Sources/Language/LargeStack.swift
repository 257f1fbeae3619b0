// Running the interpreter on a thread with a big stack, so deep (but bounded) recursion in a
// script never overflows the real stack.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum LargeStack {
    /// Stack reserved for the interpreter thread. Pages are only committed when touched.
    static let size = 512 << 20

    /// The work to run on the new thread.
    private final class Work: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run<T>(_ body: () -> T) -> T {
        var result: T?
        withoutActuallyEscaping(body) { escapable in
            let work = Work { result = escapable() }
            var attr = pthread_attr_t()
            pthread_attr_init(&attr)
            defer { pthread_attr_destroy(&attr) }
            pthread_attr_setstacksize(&attr, size)
            let context = Unmanaged.passRetained(work).toOpaque()
            #if canImport(Glibc)
            var thread = pthread_t()
            #else
            var thread: pthread_t?
            #endif
            let status = pthread_create(&thread, &attr, { raw in
                #if canImport(Glibc)
                guard let raw else { return nil }
                #endif
                let work = Unmanaged<Work>.fromOpaque(raw).takeRetainedValue()
                work.body()
                return nil
            }, context)
            if status != 0 {
                // Could not start a thread: run here instead.
                Unmanaged<Work>.fromOpaque(context).release()
                result = escapable()
                return
            }
            #if canImport(Glibc)
            pthread_join(thread, nil)
            #else
            if let thread { pthread_join(thread, nil) }
            #endif
        }
        guard let result else { return body() }
        return result
    }
}
