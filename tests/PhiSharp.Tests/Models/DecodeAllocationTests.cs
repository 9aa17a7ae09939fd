namespace PhiSharp.Tests.Models;

/// <summary>
/// A decode step allocates nothing once the session is warm: buffers, worker pool and kernel scratch are reused.
/// Measured with GC.GetTotalAllocatedBytes(precise), which counts every thread, the pool's workers included, so the
/// class runs alone (its own collection, not parallel with other tests).
/// </summary>
[Collection(nameof(DecodeAllocationTests))]
public class DecodeAllocationTests
{
    [Theory]
    [InlineData("phi3-mini-q4_0.gguf")]   // integer kernels (Q4_0, Q6_K-free pure file)
    [InlineData("phi3-mini-q4_k_m.gguf")] // integer kernels (Q4_K, Q6_K)
    [InlineData("phi3-mini-f16.gguf")]    // float path
    [InlineData("phi2-q4_0.gguf")]        // Phi-2
    public void Steady_state_decode_steps_allocate_nothing(string file)
    {
        using var model = LanguageModel.Load(Fixtures.Path("llamacpp", file));
        using var session = model.Network.CreateSession(64);
        var logits = new float[model.Network.VocabSize];
        int[] token = [1];
        for (int i = 0; i < 4; i++) session.Append(token, logits); // warm-up: JIT, thread-local scratch, first-use growth

        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < 16; i++)
        {
            token[0] = 3 + i;
            session.Append(token, logits);
        }
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.True(allocated == 0, $"{file}: 16 decode steps allocated {allocated} bytes");
    }
}

[CollectionDefinition(nameof(DecodeAllocationTests), DisableParallelization = true)]
public class DecodeAllocationCollection;
