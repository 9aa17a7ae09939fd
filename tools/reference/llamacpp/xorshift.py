"""xorshift64*: the deterministic, portable random numbers behind every fixture made here."""
import math


class Rng:
    def __init__(self, seed):
        self.state = seed or 1

    def next_u64(self):
        x = self.state
        x ^= (x >> 12)
        x ^= (x << 25) & 0xFFFFFFFFFFFFFFFF
        x ^= (x >> 27)
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & 0xFFFFFFFFFFFFFFFF

    def uniform(self):  # in (0, 1)
        return ((self.next_u64() >> 11) + 0.5) / float(1 << 53)

    def symmetric(self):  # in (-1, 1)
        return 2.0 * self.uniform() - 1.0

    def gauss(self):
        return math.sqrt(-2.0 * math.log(self.uniform())) * math.cos(2.0 * math.pi * self.uniform())

    def below(self, n):
        return self.next_u64() % n
