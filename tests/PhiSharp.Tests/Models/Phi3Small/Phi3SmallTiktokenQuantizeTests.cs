using System.Text.Json;
using PhiSharp.Formats.Gguf;
using PhiSharp.Models.Phi3Small;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Tokenizers;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// `phi quantize` on a Phi-3-small folder laid out as Microsoft's repositories are: no tokenizer.json, the tokenizer in
/// cl100k_base.tiktoken plus tokenization_phi3_small.py's special-token table. The GGUF carries the vocabulary as
/// byte-level BPE metadata (tokenizer.ggml.pre "dbrx"), tokenizes as tiktoken does with the same ranks and table
/// (phi3small.ids.jsonl, recorded by npm tiktoken; ids exact), and generates like the folder.
/// The model is <see cref="TinyPhi3SmallFolder"/>.
/// </summary>
public sealed class Phi3SmallTiktokenQuantizeTests(ITestOutputHelper output) : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_folder_without_tokenizer_json_converts_and_the_file_tokenizes_like_tiktoken_and_generates_like_the_folder()
    {
        string folder = TinyPhi3SmallFolder.Write(_dir.File("Phi-3-small-tiny")), path = _dir.File("phi3small-f16.gguf");
        GgufQuantizer.Quantize(folder, path, QuantizationScheme.Parse("f16"));
        using (var gguf = GgufFile.Open(path))
        {
            Assert.Equal("gpt2", gguf.GetString("tokenizer.ggml.model"));
            Assert.Equal("dbrx", gguf.GetString("tokenizer.ggml.pre"));
            Assert.Equal(TinyPhi3SmallFolder.Vocab, gguf.GetStringArray("tokenizer.ggml.tokens").Length);
            Assert.Equal(100257u, gguf.GetUInt32("tokenizer.ggml.eos_token_id"));
            Assert.Equal(100257u, gguf.GetUInt32("tokenizer.ggml.bos_token_id"));
            Assert.False(gguf.GetBool("tokenizer.ggml.add_bos_token"));
            Assert.StartsWith("{{ bos_token }}", gguf.GetString("tokenizer.chat_template"));
            Assert.Equal(Phi3SmallSpecialTokens.DummyTokenIds, gguf.GetInt32Array("phi3small.dummy_token_ids"));
        }

        var options = new LoadOptions { KvCache = KvCacheType.F32 };
        using var converted = LanguageModel.Load(path, options);
        using var hf = LanguageModel.Load(folder, options);
        foreach (var line in TokenizerFixtures.ReadJsonLines("phi3small.ids.jsonl"))
        {
            string text = line.GetProperty("text").GetString()!;
            Assert.True(TokenizerFixtures.Ids(line, "special").SequenceEqual(converted.Tokenizer.Encode(text, parseSpecial: true)),
                $"special tokens parsed: {JsonSerializer.Serialize(text)}");
            Assert.True(TokenizerFixtures.Ids(line, "plain").SequenceEqual(converted.Tokenizer.Encode(text)), $"ordinary: {JsonSerializer.Serialize(text)}");
            Assert.Equal(text, converted.Tokenizer.Decode(converted.Tokenizer.Encode(text, parseSpecial: true)));
        }

        int[] prompt = converted.Tokenizer.Encode("<|user|>\nWhat is Phi-3-small?<|end|>\n<|assistant|>\n", parseSpecial: true);
        Assert.Equal(hf.Tokenizer.Encode("<|user|>\nWhat is Phi-3-small?<|end|>\n<|assistant|>\n", parseSpecial: true), prompt);
        // Every prompt position's logits (dummy ids excluded: float32's minimum on both sides) within F16's rounding:
        // bound 1e-3 relative rms, as in Phi3SmallGgufTests (measured there 3.4e-4), far below a wrong tensor's O(1).
        var a = AllLogits(hf, prompt);
        var b = AllLogits(converted, prompt);
        double sum = 0, sumSquares = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] == float.MinValue) { Assert.Equal(float.MinValue, b[i]); continue; }
            sum += (a[i] - b[i]) * (double)(a[i] - b[i]);
            sumSquares += a[i] * (double)a[i];
        }
        double relative = Math.Sqrt(sum / sumSquares);
        output.WriteLine($"prompt logits: rms(Δ)/rms = {relative:G3}");
        Assert.True(relative <= 1e-3, $"rms(Δ)/rms(logits) {relative:G3} > 1e-3");

        var (ours, _) = Greedy(converted, prompt, 12);
        var (reference, margins) = Greedy(hf, prompt, 12);
        Assert.All(ours, id => Assert.DoesNotContain(id, Phi3SmallSpecialTokens.DummyTokenIds));
        // F16 rounds each weight by at most 2⁻¹¹ relative (≈3e-4 rms on these logits, Phi3SmallGgufTests); a choice
        // may differ only where the folder's top two logits are closer than 1e-2, and the rest of the run then differs.
        int same = 0;
        while (same < ours.Length && ours[same] == reference[same]) same++;
        if (same < ours.Length)
            Assert.True(margins[same] <= 1e-2, $"step {same}: the file chose {ours[same]}, the folder {reference[same]} (margin {margins[same]:G3})");
        output.WriteLine($"{same} of {ours.Length} greedy tokens identical: [{string.Join(", ", ours)}]");
    }

    static float[] AllLogits(LanguageModel model, int[] prompt)
    {
        var all = new float[prompt.Length * model.Network.VocabSize];
        using var session = model.Network.CreateSession(prompt.Length);
        session.Append(prompt, all, allPositions: true);
        return all;
    }

    /// <summary>Greedy ids and, per step, the gap between the best and second-best logit.</summary>
    static (int[] Ids, float[] Margins) Greedy(LanguageModel model, int[] prompt, int steps)
    {
        var logits = new float[model.Network.VocabSize];
        var ids = new int[steps];
        var margins = new float[steps];
        using var session = model.Network.CreateSession(prompt.Length + steps);
        session.Append(prompt, logits);
        for (int step = 0; step < steps; step++)
        {
            int best = 0;
            for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
            float second = float.MinValue;
            for (int i = 0; i < logits.Length; i++) if (i != best) second = Math.Max(second, logits[i]);
            (ids[step], margins[step]) = (best, logits[best] - second);
            session.Append([best], logits);
        }
        return (ids, margins);
    }
}
