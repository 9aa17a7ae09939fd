using System.Diagnostics;
using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Cli;

/// <summary>
/// The `phi` command's stable forms (issue: other tools parse them), run as a real process on a tiny model.
/// Expected values come from the library called directly, so these check the command's plumbing and output shape.
/// </summary>
public sealed class PhiCommandTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _model;

    public PhiCommandTests()
    {
        _model = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(_model);
    }

    public void Dispose() => _dir.Dispose();

    internal static (int Exit, string Out, string Err) Phi(params string[] args) => Phi(new Dictionary<string, string>(), args);

    internal static (int Exit, string Out, string Err) Phi(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        Phi(environment, input: null, args);

    /// <summary>Runs phi with <paramref name="input"/> as its standard input (closed after it), as a user types at `phi chat`.</summary>
    internal static (int Exit, string Out, string Err) PhiWithInput(string input, params string[] args) =>
        Phi(new Dictionary<string, string>(), input, args);

    static (int Exit, string Out, string Err) Phi(IReadOnlyDictionary<string, string> environment, string? input, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = input is not null };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "phi.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("phi " + string.Join(' ', args));
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Tokenize_prints_the_ids_as_a_json_array()
    {
        using var model = LanguageModel.Load(_model);
        var (exit, output, _) = Phi("tokenize", "--model", _model, "hello world<|end|>");
        Assert.Equal(0, exit);
        Assert.Equal(model.Tokenizer.Encode("hello world<|end|>"), JsonSerializer.Deserialize<int[]>(output));

        var (_, special, _) = Phi("tokenize", "--model", _model, "--special", "hello<|end|>");
        Assert.Equal(model.Tokenizer.Encode("hello<|end|>", parseSpecial: true), JsonSerializer.Deserialize<int[]>(special));
    }

    [Fact]
    public void Logits_prints_the_last_position_or_all_positions()
    {
        using var model = LanguageModel.Load(_model);
        int[] ids = [1, 260, 262];
        var expected = new float[ids.Length * model.Network.VocabSize];
        using (var session = model.Network.CreateSession(8)) session.Append(ids, expected, allPositions: true);

        var (exit, last, _) = Phi("logits", "--model", _model, "--ids", "1,260,262");
        Assert.Equal(0, exit);
        var lastRows = JsonDocument.Parse(last).RootElement.GetProperty("logits").EnumerateArray().ToArray();
        Assert.Single(lastRows);
        // The JSON carries floats in their shortest round-trip form, so the values are the library's exactly.
        Assert.Equal(expected[(2 * model.Network.VocabSize)..], lastRows[0].EnumerateArray().Select(v => v.GetSingle()).ToArray());

        var (_, all, _) = Phi("logits", "--model", _model, "--ids", "1,260,262", "--all");
        var allRows = JsonDocument.Parse(all).RootElement.GetProperty("logits").EnumerateArray().ToArray();
        Assert.Equal(3, allRows.Length);
        Assert.Equal(expected[..model.Network.VocabSize], allRows[0].EnumerateArray().Select(v => v.GetSingle()).ToArray());
    }

    [Fact]
    public void Run_with_json_prints_ids_and_text_of_the_greedy_continuation()
    {
        using var model = LanguageModel.Load(_model);
        var expected = model.Generator.Generate([1, 260, 262], new GenerationOptions { MaxTokens = 5 }).ToArray();

        var (exit, output, _) = Phi("run", "--model", _model, "--ids", "1,260,262", "--max-tokens", "5", "--json");
        Assert.Equal(0, exit);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(expected.Select(t => t.Id), json.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(string.Concat(expected.Select(t => t.Text)), json.GetProperty("text").GetString());
    }

    [Fact]
    public void Bench_with_json_prints_one_object_with_the_measures()
    {
        var (exit, output, error) = Phi("bench", "--model", _model, "-p", "16", "-n", "4", "--threads", "1", "--json");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        foreach (var field in new[] { "pp_tps", "tg_tps", "ttft_ms", "load_ms" })
            Assert.True(json.GetProperty(field).GetDouble() > 0, field);
        Assert.True(json.GetProperty("peak_rss_bytes").GetInt64() > 1 << 20);
        Assert.Equal(16, json.GetProperty("prompt_tokens").GetInt32());
        // The kernel tier it ran, and the CPU features it was chosen from (the same runtime detection as this process).
        Assert.Equal(KernelTier.Name, json.GetProperty("simd").GetString());
        Assert.Equal(KernelTier.CpuFeatures, json.GetProperty("cpu_features").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Bench_with_depth_generates_after_that_many_untimed_tokens_and_measures_no_prompt_with_p_0()
    {
        var (exit, output, error) = Phi("bench", "--model", _model, "-p", "0", "-d", "8", "-n", "3", "--threads", "1", "--json");
        Assert.True(exit == 0, error);
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal(8, json.GetProperty("depth").GetInt32());
        Assert.Equal(0, json.GetProperty("pp_tps").GetDouble());
        Assert.True(json.GetProperty("tg_tps").GetDouble() > 0);
    }

    [Theory]
    [InlineData("-p 0 -n 0", "error: nothing to measure: --prompt-tokens and --gen-tokens are both 0")]
    [InlineData("-p 4 -n 1 -d -1", "error: --depth must not be negative")]
    [InlineData("-p 4 -n 4000 -d 1000", "error: -p 4, or --depth 1000 + -n 4000, exceeds the model's context of")]
    public void Bench_refuses_a_shape_it_cannot_measure_in_one_line(string shape, string message)
    {
        var (exit, _, error) = Phi(["bench", "--model", _model, .. shape.Split(' '), "--threads", "1"]);
        Assert.Equal(1, exit);
        Assert.StartsWith(message, error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void The_kernel_tier_follows_the_features_the_runtime_is_allowed()
    {
        string Tier(params (string Name, string Value)[] environment)
        {
            var (exit, output, error) = Phi(environment.ToDictionary(e => e.Name, e => e.Value),
                "bench", "--model", _model, "-p", "4", "-n", "1", "--threads", "1", "--json");
            Assert.True(exit == 0, error);
            return JsonDocument.Parse(output).RootElement.GetProperty("simd").GetString()!;
        }
        Assert.Equal("vector128", Tier(("DOTNET_EnableAVX2", "0")));
        Assert.Equal("scalar", Tier(("DOTNET_EnableHWIntrinsic", "0")));
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported) return; // the rest are x86 tiers
        Assert.Equal("x86-avx2", Tier(("DOTNET_EnableAVX512", "0"), ("DOTNET_EnableAVXVNNI", "0")));
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            Assert.Equal("x86-avxvnni", Tier(("DOTNET_EnableAVX512", "0")));
    }

    [Fact]
    public void PHISHARP_KERNEL_TIER_selects_a_tier_and_a_wrong_one_is_one_error_line()
    {
        (int Exit, string Output, string Error) Bench(string tier) => Phi(new Dictionary<string, string> { ["PHISHARP_KERNEL_TIER"] = tier },
            "bench", "--model", _model, "-p", "4", "-n", "1", "--threads", "1", "--json");
        var (exit, output, error) = Bench("scalar");
        Assert.True(exit == 0, error);
        Assert.Equal("scalar", JsonDocument.Parse(output).RootElement.GetProperty("simd").GetString());
        (exit, _, error) = Bench("x86-sse9");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: PHISHARP_KERNEL_TIER=x86-sse9 is not a kernel tier; the tiers are scalar, vector128, arm64-neon, arm64-dotprod, x86-avx2,", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Info_describes_the_model()
    {
        var (exit, output, _) = Phi("info", "--model", _model);
        Assert.Equal(0, exit);
        Assert.Contains("phi3", output);
        Assert.Contains("unknown (phi3)", output);   // the family member of a tiny model
    }

    [Fact]
    public void A_missing_model_is_one_error_line_and_exit_code_1()
    {
        var (exit, output, error) = Phi("tokenize", "--model", _dir.File("absent.gguf"), "x");
        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("error: ", error);
        Assert.Contains("absent.gguf", error);
    }

    [Fact]
    public void A_corrupt_model_is_one_error_line_and_exit_code_1()
    {
        string corrupt = _dir.File("corrupt.gguf");
        File.WriteAllBytes(corrupt, [.. "GGUF"u8, 3, 0, 0, 0, 0xFF]);
        var (exit, _, error) = Phi("logits", "--model", corrupt, "--ids", "1");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("   at ", error);   // no stack trace
    }

    [Fact]
    public void Malformed_ids_are_reported()
    {
        var (exit, _, error) = Phi("logits", "--model", _model, "--ids", "1,x,3");
        Assert.Equal(1, exit);
        Assert.Contains("x", error);
    }
}
