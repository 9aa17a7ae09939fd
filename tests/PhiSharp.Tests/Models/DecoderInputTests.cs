using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;
using PhiSharp.Models.Phi3;

namespace PhiSharp.Tests.Models;

/// <summary>
/// Embedding rows spliced into the decoder's input (how image features will enter) take the place of the token
/// lookups they cover: rows equal to token X's embedding, spliced over placeholder ids, give the logits of X itself —
/// within a chunk, across chunks, and when a LongRoPE switch re-evaluates the prefix from the session's record.
/// The placeholder ids are deliberately other tokens (and out of range), so ignoring the rows would fail.
/// Tolerance 1e-4: both runs do the same float32 operations on the same values, grouped into the same chunks.
/// </summary>
public class DecoderInputTests
{
    const float Tolerance = 1e-4f;

    static int[] Tokens(int count, int seed = 7)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(50)).ToArray();
    }

    static float[] EmbeddingRows(DecoderModel model, ReadOnlySpan<int> tokens)
    {
        var network = (Phi3Network)model.Network;
        int hidden = network.Config.HiddenSize;
        var rows = new float[tokens.Length * hidden];
        var scratch = new float[hidden];
        for (int i = 0; i < tokens.Length; i++)
            WeightRows.AsFloat(network.Weights.Embedding, tokens[i], scratch).CopyTo(rows.AsSpan(i * hidden, hidden));
        return rows;
    }

    [Theory]
    [InlineData(3, 5, 20)]     // a span inside one chunk
    [InlineData(60, 10, 80)]   // a span across the 64-token chunk boundary
    public void Spliced_rows_equal_to_a_tokens_embedding_give_that_tokens_logits(int start, int count, int length)
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        var tokens = Tokens(length);
        int vocab = model.VocabSize;
        using var plain = model.CreateDecoderSession(128);
        var expected = new float[length * vocab];
        plain.Append(tokens, expected, allPositions: true);

        var placeholders = tokens.ToArray();
        for (int i = start; i < start + count; i++) placeholders[i] = i % 2 == 0 ? -1 : (tokens[i] + 1) % vocab;
        using var spliced = model.CreateDecoderSession(128);
        var logits = new float[length * vocab];
        EmbeddingRows[] rows = [new(start, EmbeddingRows(model, tokens.AsSpan(start, count)))];
        spliced.Append(new DecoderInput(placeholders, rows), logits, allPositions: true);
        AssertClose(expected, logits);
    }

    [Fact]
    public void A_LongRope_switch_re_evaluates_spliced_rows_as_spliced()
    {
        float[] shortF = [1f, 1.1f, 1.2f, 1.3f, 1.4f, 1.5f];
        float[] longF = [1f, 2f, 4f, 8f, 16f, 32f];
        using var model = RandomPhi3.Create(RandomPhi3.Config(new LongRopeScaling(shortF, longF, OriginalMaxPositions: 16, AttentionFactor: 1.19f)));
        var tokens = Tokens(20);
        using var whole = model.CreateDecoderSession(32);
        var expected = new float[50];
        whole.Append(tokens, expected);

        // Positions 4..7 arrive as rows; the 17th token crosses 16 and re-evaluates all 17 from the session's record.
        using var stepwise = model.CreateDecoderSession(32);
        var logits = new float[50];
        stepwise.Append(tokens.AsSpan(0, 4), logits);
        stepwise.Append(new DecoderInput(new int[] { -1, -1, -1, -1 }, new EmbeddingRows[] { new(0, EmbeddingRows(model, tokens.AsSpan(4, 4))) }), logits);
        for (int i = 8; i < tokens.Length; i++) stepwise.Append(tokens.AsSpan(i, 1), logits);
        AssertClose(expected, logits);
    }

    [Fact]
    public void Rows_that_are_not_whole_or_overrun_the_input_are_rejected()
    {
        using var model = RandomPhi3.Create(RandomPhi3.Config());
        using var session = model.CreateDecoderSession(32);
        var logits = new float[50];
        var hidden = ((Phi3Network)model.Network).Config.HiddenSize;
        Assert.Throws<ArgumentException>(() => session.Append(new DecoderInput(new int[3], new EmbeddingRows[] { new(0, new float[hidden + 1]) }), logits));
        Assert.Throws<ArgumentException>(() => session.Append(new DecoderInput(new int[3], new EmbeddingRows[] { new(2, new float[2 * hidden]) }), logits));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Append(new DecoderInput(new[] { 1, -1 }), logits));
        Assert.Equal(0, session.Length);
    }

    static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"[{i}] {expected[i]} vs {actual[i]}");
    }
}
