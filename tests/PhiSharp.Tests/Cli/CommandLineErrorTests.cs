using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using static PhiSharp.Tests.Cli.PhiCommandTests;

namespace PhiSharp.Tests.Cli;

/// <summary>
/// Bad command lines get one `error:` line in words and exit code 1, before any work starts: no .NET type names, no
/// help page, no stack trace, and no value that would make the run crawl (threads) or allocate without bound (context).
/// </summary>
public sealed class CommandLineErrorTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _model;

    public CommandLineErrorTests()
    {
        _model = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(_model);   // a context of 256 tokens
    }

    public void Dispose() => _dir.Dispose();

    static void AssertOneErrorLine(string expected, (int Exit, string Out, string Err) result)
    {
        Assert.Equal(1, result.Exit);
        Assert.Equal($"error: {expected}", result.Err.TrimEnd('\n', '\r'));
    }

    [Fact]
    public void Threads_beyond_four_per_logical_core_are_refused()
    {
        int max = 4 * Environment.ProcessorCount;
        AssertOneErrorLine($"--threads {max + 1} is more than {max} (4 × the {Environment.ProcessorCount} logical cores)",
            Phi("run", "--model", _model, "--ids", "1", "--threads", $"{max + 1}"));
        AssertOneErrorLine("--threads -1 is less than 0", Phi("run", "--model", _model, "--ids", "1", "--threads", "-1"));
    }

    [Fact]
    public void Threads_0_means_every_core()
    {
        var (exit, _, error) = Phi("run", "--model", _model, "--ids", "1", "--max-tokens", "1", "--threads", "0");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void Run_refuses_a_context_beyond_the_models() =>
        AssertOneErrorLine("--ctx 10000000 is more than this model's context of 256 tokens.",
            Phi("run", "--model", _model, "--ids", "1", "--ctx", "10000000"));

    [Fact]
    public void Chat_refuses_a_context_beyond_the_models_instead_of_lowering_it() =>
        AssertOneErrorLine("--ctx 10000000 is more than this model's context of 256 tokens.", Phi("chat", "--model", _model, "--ctx", "10000000"));

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("-5")]
    public void A_context_without_room_for_a_prompt_and_a_reply_is_refused(string context) =>
        AssertOneErrorLine($"--ctx {context} is less than 2 (a prompt token and a generated one)",
            Phi("run", "--model", _model, "--ids", "1", "--ctx", context));

    [Fact]
    public void Max_tokens_must_be_at_least_1() =>
        AssertOneErrorLine("--max-tokens 0 is less than 1", Phi("run", "--model", _model, "--ids", "1", "--max-tokens", "0"));

    [Fact]
    public void A_prompt_longer_than_the_context_is_one_sentence() =>
        AssertOneErrorLine("The prompt has 3 tokens; the context holds 2.", Phi("run", "--model", _model, "--ids", "1,2,3", "--ctx", "2"));

    [Theory]
    [InlineData("--seed", "-1", "--seed takes a whole number from 0 to 18446744073709551615, not '-1'")]
    [InlineData("--temperature", "x", "--temperature takes a number, not 'x'")]
    [InlineData("--top-k", "1.5", "--top-k takes a whole number up to 2147483647, not '1.5'")]
    [InlineData("--max-tokens", "many", "--max-tokens takes a whole number up to 2147483647, not 'many'")]
    public void A_value_of_the_wrong_kind_is_named_in_words(string option, string value, string expected) =>
        AssertOneErrorLine(expected, Phi("run", "--model", _model, "--ids", "1", option, value));

    [Fact]
    public void A_serve_port_that_is_not_a_number_is_named_in_words() =>
        AssertOneErrorLine("--port takes a whole number up to 2147483647, not 'abc'", Phi("serve", "--model", _model, "--port", "abc"));

    [Fact]
    public void An_unknown_command_is_named() =>
        AssertOneErrorLine("'frobnicate' is not a phi command; see phi --help", Phi("frobnicate"));

    [Fact]
    public void An_unknown_option_is_named_with_its_command() =>
        AssertOneErrorLine("'--frobnicate' is not an option of phi run; see phi run --help",
            Phi("run", "--model", _model, "--ids", "1", "--frobnicate"));

    [Fact]
    public void Serve_refuses_a_context_beyond_the_models() =>
        AssertOneErrorLine("--ctx 10000 is more than this model's context of 256 tokens.", Phi("serve", "--model", _model, "--ctx", "10000"));

    [Fact]
    public void Serve_refuses_more_slots_than_memory_holds_before_allocating_them()
    {
        var (exit, _, error) = Phi("serve", "--model", _model, "--parallel", $"{int.MaxValue}", "--port", "0");
        Assert.Equal(1, exit);
        Assert.Matches(@"^error: --parallel 2147483647 × --ctx 256 needs [\d.]+ GiB of KV cache \(f16\); [\d.]+ [GM]iB is available\.\s*$", error);
    }
}
