#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The cart-pole system of Barto, Sutton and Anderson (1983) with Gymnasium CartPole-v1's
/// constants and explicit Euler integration, in `Double` as Gymnasium computes it.
///
/// Shared by `CartPole`, `StatelessCartPole` and `NoisyStatelessCartPole`.
public struct CartPolePhysics: Sendable, Equatable {
    // MARK: - Gymnasium CartPole-v1 constants

    public static let gravity = 9.8
    public static let massCart = 1.0
    public static let massPole = 0.1
    public static let totalMass = massPole + massCart
    /// Half the pole's length.
    public static let length = 0.5
    public static let poleMassLength = massPole * length
    public static let forceMagnitude = 10.0
    /// Seconds between state updates.
    public static let tau = 0.02
    /// The pole may lean at most 12 degrees before the episode terminates.
    public static let thetaThreshold = 12 * 2 * Double.pi / 360
    /// The cart's centre may move at most 2.4 from the middle before the episode terminates.
    public static let xThreshold = 2.4

    // MARK: - State

    /// Cart position.
    public var x: Double
    /// Cart velocity.
    public var xDot: Double
    /// Pole angle in radians (0 is upright, positive leans right).
    public var theta: Double
    /// Pole angular velocity.
    public var thetaDot: Double

    public init(x: Double = 0, xDot: Double = 0, theta: Double = 0, thetaDot: Double = 0) {
        self.x = x
        self.xDot = xDot
        self.theta = theta
        self.thetaDot = thetaDot
    }

    /// The state as Gymnasium's observation order: [x, ẋ, θ, θ̇].
    public var vector: [Double] { [x, xDot, theta, thetaDot] }

    // MARK: - Dynamics

    /// One Euler step of `tau` seconds with the cart pushed left (action 0) or right (1).
    @inlinable
    public mutating func advance(pushRight: Bool) {
        let force = pushRight ? Self.forceMagnitude : -Self.forceMagnitude
        let cosTheta = cos(theta)
        let sinTheta = sin(theta)
        // The parenthesisation follows Gymnasium's expression order, so that rounding, and
        // hence long trajectories of this unstable system, agree with it bit for bit.
        let temp = (force + Self.poleMassLength * (thetaDot * thetaDot) * sinTheta) / Self.totalMass
        let thetaAcc = (Self.gravity * sinTheta - cosTheta * temp)
            / (Self.length * (4.0 / 3.0 - Self.massPole * (cosTheta * cosTheta) / Self.totalMass))
        let xAcc = temp - Self.poleMassLength * thetaAcc * cosTheta / Self.totalMass
        x = x + Self.tau * xDot
        xDot = xDot + Self.tau * xAcc
        theta = theta + Self.tau * thetaDot
        thetaDot = thetaDot + Self.tau * thetaAcc
    }

    /// The pole fell past 12 degrees or the cart left the track: Gymnasium's termination.
    @inlinable
    public var isTerminal: Bool {
        x < -Self.xThreshold || x > Self.xThreshold
            || theta < -Self.thetaThreshold || theta > Self.thetaThreshold
    }

    /// A start state with each of the four variables uniform in [low, high)
    /// (Gymnasium draws them in the order x, ẋ, θ, θ̇).
    @inlinable
    public static func random(low: Double, high: Double, rng: inout RNG) -> CartPolePhysics {
        let x = low + (high - low) * rng.uniformDouble()
        let xDot = low + (high - low) * rng.uniformDouble()
        let theta = low + (high - low) * rng.uniformDouble()
        let thetaDot = low + (high - low) * rng.uniformDouble()
        return CartPolePhysics(x: x, xDot: xDot, theta: theta, thetaDot: thetaDot)
    }

    // MARK: - Rendering

    /// The cart on its track and the pole's lean, as one line of text: `[` and `]` mark
    /// the ±2.4 limits, and the pole is drawn where the cart is as `|`, `/` or `\`.
    public func render() -> String {
        let width = 41
        let position = Int(((x + 2 * Self.xThreshold) / (4 * Self.xThreshold) * Double(width - 1)).rounded())
        var track = Array(repeating: Character("-"), count: width)
        track[width / 4] = "["
        track[3 * width / 4] = "]"
        let lean: Character = theta < -0.05 ? "\\" : (theta > 0.05 ? "/" : "|")
        if position >= 0 && position < width { track[position] = lean }
        let degrees = theta * 180 / Double.pi
        return String(track) + String(format: "  x=%+.3f  ẋ=%+.3f  θ=%+.2f°  θ̇=%+.3f", x, xDot, degrees, thetaDot)
    }
}

import TensorCore
import Foundation

extension CartPolePhysics {
    /// A linear stabilising controller that reads the full state: push right when
    /// 0.05 x + 0.2 ẋ + θ + 0.5 θ̇ > 0. It keeps the pole up and the cart near the middle
    /// for thousands of steps from the usual start states (checked for 1000 seeds).
    public var balancingAction: Int {
        0.05 * x + 0.2 * xDot + theta + 0.5 * thetaDot > 0 ? 1 : 0
    }
}
