using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Cli;

/// <summary>`phi quantize` as a process: it writes llama.cpp's own Q4_K_M file for the F16 fixture
/// (tests/fixtures/llamacpp/phi3-mini-q4_k_m.gguf, made by llama.cpp's quantizer), and bad input ends with exit code 1,
/// one specific message and no file written.</summary>
public sealed class QuantizeCommandTests : IDisposable
{
    readonly TempDirectory _dir = new();
    static readonly string Source = Fixtures.Path("llamacpp", "phi3-mini-f16.gguf");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Writes_the_file_llama_cpp_writes()
    {
        string output = _dir.File("q4_k_m.gguf");
        var (exit, stdout, stderr) = PhiCommandTests.Phi("quantize", "--model", Source, "--out", output, "--type", "q4_k_m");
        Assert.True(exit == 0, stderr);
        Assert.Contains("q6_k × 3", stdout);
        Assert.Equal(File.ReadAllBytes(Fixtures.Path("llamacpp", "phi3-mini-q4_k_m.gguf")), File.ReadAllBytes(output));
    }

    [Theory]
    [InlineData("unknown-type", "unknown quantization type 'q3_k' (supported: f16, q8_0, q4_0, q4_k_m, q4_k, q6_k)")]
    [InlineData("missing-folder", "does not exist")]
    [InlineData("not-a-model", "not a GGUF file")]
    [InlineData("missing-input", "the input")]
    [InlineData("output-is-input", "the output must not be the input file")]
    public void Bad_input_fails_with_a_specific_message(string kind, string message)
    {
        string notModel = _dir.File("notes.txt");
        File.WriteAllText(notModel, "just some text, long enough to have a header's worth of bytes in it");
        string copy = _dir.File("copy.gguf");
        File.Copy(Source, copy);
        string output = _dir.File("out.gguf");
        string[] args = kind switch
        {
            "unknown-type" => ["--model", Source, "--out", output, "--type", "q3_k"],
            "missing-folder" => ["--model", Source, "--out", _dir.File(Path.Combine("no-such-folder", "out.gguf"))],
            "not-a-model" => ["--model", notModel, "--out", output],
            "missing-input" => ["--model", _dir.File("absent.gguf"), "--out", output],
            _ => ["--model", copy, "--out", copy],
        };
        var (exit, _, stderr) = PhiCommandTests.Phi(["quantize", .. args]);
        Assert.Equal(1, exit);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(output));
        Assert.Equal(new[] { copy, notModel }.Order(), Directory.GetFiles(_dir.Path).Order());
    }
}
