using System.Security.Cryptography;
using System.Text.Json;
using PhiSharp.Formats.Gguf;
using PhiSharp.Quantization;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using Xunit.Abstractions;

namespace PhiSharp.Tests.Quantization;

/// <summary>
/// <see cref="GgufQuantizer"/> writes the same files as llama.cpp's quantizer (llama_model_quantize, no importance
/// matrix) on the tiny GGUF fixtures: tests/fixtures/quantize/llamacpp_files.json holds, per case, the SHA-256, size and
/// tensor types of llama.cpp's output (made by tools/reference/quantize/quantize_files.py). The cases cover the
/// Q4_K_M mix, Q4_0 and Q8_0 with output.weight in Q6_K, tied embeddings, rows of 128 that fall back to Q5_0 / Q8_0,
/// BF16 and Q8_0 inputs, and Phi-2. Equality is exact: the tensor types follow the same rules, the encoders are
/// ggml's reference quantizers (bit-exact, see QuantizeEdgeRowsTests) and the header is copied value for value.
/// </summary>
public class QuantizeMatchesLlamaCppTests(ITestOutputHelper output)
{
    sealed record Expected(string Input, string Type, bool Pure, long Size, string Sha256, JsonElement[][] Tensors);

    static readonly Lazy<Expected[]> Reference = new(() => JsonSerializer.Deserialize<Expected[]>(
        File.ReadAllText(Fixtures.Path("quantize", "llamacpp_files.json")),
        new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    public static TheoryData<string, string> Cases
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var e in Reference.Value) data.Add(e.Input, e.Type);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void File_equals_llama_cpp_quantize_output(string input, string type)
    {
        Expected expected = Reference.Value.Single(e => e.Input == input && e.Type == type);
        using var temp = new TempDirectory();
        string path = temp.File("out.gguf");
        GgufQuantizer.Quantize(Fixtures.Path("llamacpp", input), path, QuantizationScheme.Parse(type), threads: 2);

        using (var file = GgufFile.Open(path))
        {
            var ours = file.Tensors.Select(t => $"{t.Name}:{(int)t.Type}").ToArray();
            var theirs = expected.Tensors.Select(t => $"{t[0].GetString()}:{t[1].GetInt32()}").ToArray();
            Assert.Equal(theirs, ours);
        }
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(expected.Size, bytes.Length);
        Assert.Equal(expected.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public void Q4_K_M_output_gives_llama_cpp_logits()
    {
        // The file PhiSharp writes from the F16 fixture, run by PhiSharp, against llama.cpp's logits for its own
        // Q4_K_M of that fixture, with the tolerance LogitsMatchLlamaCppTests states for that case.
        using var temp = new TempDirectory();
        string path = temp.File("q4_k_m.gguf");
        GgufQuantizer.Quantize(Fixtures.Path("llamacpp", "phi3-mini-f16.gguf"), path, QuantizationScheme.Parse("q4_k_m"));
        var c = LlamaCppFixtures.Get("phi3-mini-q4_k_m");
        var (max, rms) = LogitsMatchLlamaCppTests.Compare(LogitsMatchLlamaCppTests.Evaluate(path, c), LlamaCppFixtures.ReferenceLogits(c.Name));
        var tolerance = LogitsMatchLlamaCppTests.Tolerance(c.Name);
        output.WriteLine($"max |Δ| = {max:G3}, rms(Δ)/rms = {rms:G3} (tolerance {tolerance.Max}, {tolerance.Rms})");
        Assert.True(max <= tolerance.Max && rms <= tolerance.Rms, $"max {max}, rms {rms}");
    }
}
