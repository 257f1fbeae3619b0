"""sb3-contrib's RecurrentPPO on position-only CartPole-v1 with the RL Zoo's CartPoleNoVel-v1
settings: what a student would otherwise use, timed for BENCHMARKS.md next to memento-bench's
`ppo_lstm_stateless_cartpole_solve` (same task, settings and stopping rule: the mean return
of the last 20 episodes reaches 475, capped at 200,000 steps; lr and clip range decay
linearly over those 200,000 steps).

Not part of the harness protocol: run it directly, one seed per argument, with a Python that
has sb3-contrib installed (pip install sb3-contrib):
    python bench/peers/sb3_recurrent_ppo.py 0 1 2
Prints one line per seed: steps, episodes, seconds. PyTorch on one thread.
"""
import sys
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize


class NoVelocity(gym.ObservationWrapper):
    """CartPole observing only the cart position and the pole angle."""

    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Box(
            low=env.observation_space.low[[0, 2]], high=env.observation_space.high[[0, 2]], dtype=np.float32)

    def observation(self, obs):
        return obs[[0, 2]]


class StopWhenSolved(BaseCallback):
    """Stops once the mean return of the last 20 finished episodes reaches 475."""

    def __init__(self):
        super().__init__()
        self.returns, self.running = [], None

    def _on_step(self):
        rewards, dones = self.locals["rewards"], self.locals["dones"]
        original = self.training_env.get_original_reward()
        if self.running is None:
            self.running = np.zeros(len(dones))
        self.running += original
        for i, done in enumerate(dones):
            if done:
                self.returns.append(self.running[i])
                self.running[i] = 0
        return not (len(self.returns) >= 20 and np.mean(self.returns[-20:]) >= 475)


def run(seed):
    torch.set_num_threads(1)
    env = make_vec_env("CartPole-v1", n_envs=8, seed=seed, wrapper_class=NoVelocity)
    env = VecNormalize(env, gamma=0.98)
    linear = lambda p: (lambda remaining: remaining * p)
    model = RecurrentPPO(
        "MlpLstmPolicy", env, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20, ent_coef=0.0,
        learning_rate=linear(1e-3), clip_range=linear(0.2), seed=seed, device="cpu",
        policy_kwargs=dict(ortho_init=False, activation_fn=nn.ReLU, lstm_hidden_size=64, enable_critic_lstm=True,
                           net_arch=dict(pi=[64], vf=[64])))
    callback = StopWhenSolved()
    start = time.perf_counter()
    model.learn(total_timesteps=200_000, callback=callback)
    seconds = time.perf_counter() - start
    solved = len(callback.returns) >= 20 and np.mean(callback.returns[-20:]) >= 475
    print(f"sb3-contrib RecurrentPPO seed {seed}: {model.num_timesteps} env steps, {len(callback.returns)} episodes, "
          f"{seconds:.1f} s{'' if solved else ' (not solved)'}", flush=True)


if __name__ == "__main__":
    for s in sys.argv[1:] or ["0"]:
        run(int(s))
