using PhiSharp.Generation;

namespace PhiSharp.Tests.Generation;

public class SamplerTests
{
    static float[] Logits() => [0.1f, 2.5f, -1f, 2.4f, 0f, 1f];

    [Fact]
    public void Temperature_zero_is_greedy()
    {
        var sampler = new Sampler(new SamplingOptions(), 6);
        Assert.Equal(1, sampler.Sample(Logits(), []));
    }

    [Fact]
    public void The_same_seed_gives_the_same_draws_and_another_seed_different_ones()
    {
        int[] Draws(ulong seed)
        {
            var sampler = new Sampler(new SamplingOptions { Temperature = 1.5f, Seed = seed }, 6);
            return Enumerable.Range(0, 64).Select(_ => sampler.Sample(Logits(), [])).ToArray();
        }
        Assert.Equal(Draws(42), Draws(42));
        Assert.NotEqual(Draws(42), Draws(43));
    }

    [Fact]
    public void Top_k_of_two_only_ever_draws_the_two_best_tokens()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 5f, TopK = 2, Seed = 1 }, 6);
        var drawn = Enumerable.Range(0, 500).Select(_ => sampler.Sample(Logits(), [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, drawn);
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // Probabilities at temperature 1: token 1 ≈ 0.40, token 3 ≈ 0.36; p = 0.5 needs both.
        var sampler = new Sampler(new SamplingOptions { Temperature = 1f, TopP = 0.5f, Seed = 7 }, 6);
        var drawn = Enumerable.Range(0, 500).Select(_ => sampler.Sample(Logits(), [])).ToHashSet();
        Assert.Equal(new HashSet<int> { 1, 3 }, drawn);
    }

    [Fact]
    public void Min_p_drops_tokens_far_less_likely_than_the_best()
    {
        // exp(1 - 2.5) ≈ 0.22 of the best: kept at min-p 0.2, dropped at 0.3.
        var loose = new Sampler(new SamplingOptions { Temperature = 1f, MinP = 0.2f, Seed = 3 }, 6);
        Assert.Contains(5, Enumerable.Range(0, 2000).Select(_ => loose.Sample(Logits(), [])));
        var strict = new Sampler(new SamplingOptions { Temperature = 1f, MinP = 0.3f, Seed = 3 }, 6);
        Assert.Equal(new HashSet<int> { 1, 3 }, Enumerable.Range(0, 2000).Select(_ => strict.Sample(Logits(), [])).ToHashSet());
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_once_per_distinct_token()
    {
        var sampler = new Sampler(new SamplingOptions { RepetitionPenalty = 2f }, 6);
        var logits = Logits();
        int next = sampler.Sample(logits, [1, 1, 2]);
        Assert.Equal(1.25f, logits[1]);
        Assert.Equal(-2f, logits[2]);
        Assert.Equal(3, next); // 2.4 now beats the penalised 1.25
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_option_named()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { TopP = 0f }, 6));
        Assert.Equal("TopP", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { Temperature = -1f }, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(new SamplingOptions { Temperature = float.NaN }, 6));
    }
}
