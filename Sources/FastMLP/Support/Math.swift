#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _log(_ x: Double) -> Double { log(x) }
@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }
@inline(__always) func _exp(_ x: Float) -> Float { expf(x) }
@inline(__always) func _expDouble(_ x: Double) -> Double { exp(x) }
@inline(__always) func _logFloat(_ x: Float) -> Float { logf(x) }
@inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
@inline(__always) func _powDouble(_ x: Double, _ y: Double) -> Double { pow(x, y) }
@inline(__always) func _log1pFloat(_ x: Float) -> Float { log1pf(x) }
