namespace PhiSharp.Tests.Models;

/// <summary>
/// A decode step allocates nothing once the session is warm: buffers and kernel scratch are reused. With one thread
/// the worker pool runs every chunk on the calling thread, so GC.GetAllocatedBytesForCurrentThread sees all of it,
/// exactly (a process-wide count also sees the test runner's own threads). A garbage collection started by another
/// test's thread can retire this thread's allocation context mid-measurement and make the counter jump without any
/// allocation (seen once in CI: 5560 bytes), so the steps are measured in up to three rounds and one clean round
/// passes; a step that really allocates does so in every round.
/// </summary>
public class DecodeAllocationTests
{
    [Theory]
    [InlineData("phi3-mini-q4_0.gguf")]   // integer kernels (Q4_0, Q6_K-free pure file)
    [InlineData("phi3-mini-q4_k_m.gguf")] // integer kernels (Q4_K, Q6_K)
    [InlineData("phi3-mini-f16.gguf")]    // float path
    [InlineData("phi2-q4_0.gguf")]        // Phi-2
    public void Steady_state_decode_steps_allocate_nothing(string file)
    {
        using var model = LanguageModel.Load(Fixtures.Path("llamacpp", file), new LoadOptions { Threads = 1 });
        using var session = model.Network.CreateSession(64);
        var logits = new float[model.Network.VocabSize];
        int[] token = [1];
        for (int i = 0; i < 4; i++) session.Append(token, logits); // warm-up: JIT, thread-local scratch, first-use growth

        var rounds = new List<long>();
        for (int round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 16; i++)
            {
                token[0] = 3 + i;
                session.Append(token, logits);
            }
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"{file}: 16 decode steps allocated {string.Join(", then ", rounds)} bytes");
    }
}
