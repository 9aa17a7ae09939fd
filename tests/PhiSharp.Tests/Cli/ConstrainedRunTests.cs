using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Cli;

/// <summary>`phi run --json-schema FILE` and `--grammar FILE` on the tiny random model, as a real process.</summary>
public sealed class ConstrainedRunTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _model;

    public ConstrainedRunTests()
    {
        _model = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(_model);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Json_schema_output_validates_against_the_schema()
    {
        const string schema = """{"type":"object","properties":{"city":{"type":"string","maxLength":8},"temp":{"type":"integer","minimum":-40,"maximum":50}},"required":["city","temp"],"additionalProperties":false}""";
        string file = _dir.File("schema.json");
        File.WriteAllText(file, schema);
        var (exit, output, error) = PhiCommandTests.Phi("run", "--model", _model, "--ids", "1,260", "--json-schema", file,
            "--max-tokens", "40", "--temperature", "1.5", "--seed", "3", "--json");
        Assert.True(exit == 0, error);
        string text = JsonDocument.Parse(output).RootElement.GetProperty("text").GetString()!;
        Assert.True(JsonSchema.FromText(schema).Evaluate(JsonDocument.Parse(text).RootElement).IsValid, text);
    }

    [Fact]
    public void Grammar_output_matches_the_equivalent_regular_expression()
    {
        string file = _dir.File("list.gbnf");
        File.WriteAllText(file, "root ::= item (\", \" item){1,3} \".\"\nitem ::= [α-ω]{2,4} | [0-9]+\n");
        var (exit, output, error) = PhiCommandTests.Phi("run", "--model", _model, "--ids", "1,260", "--grammar", file,
            "--max-tokens", "30", "--temperature", "1.5", "--seed", "5", "--json");
        Assert.True(exit == 0, error);
        string text = JsonDocument.Parse(output).RootElement.GetProperty("text").GetString()!;
        Assert.Matches(new Regex("^([α-ω]{2,4}|[0-9]+)(, ([α-ω]{2,4}|[0-9]+)){1,3}\\.$"), text);
    }

    [Theory]
    [InlineData("--json-schema", "{\"type\":\"string\",\"format\":\"email\"}", "error: --json-schema bad: The schema keyword 'format' at # is not supported.")]
    [InlineData("--grammar", "root ::= \"a\" b", "error: --grammar bad: Grammar error at line 1, column 14: the rule 'b' is not defined.")]
    [InlineData("--json-schema", "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}", "error: MaxTokens is 3; the grammar's shortest output needs up to 8 tokens.")]
    public void A_refused_constraint_is_one_error_line(string option, string content, string message)
    {
        string file = _dir.File("bad");
        File.WriteAllText(file, content);
        var (exit, _, error) = PhiCommandTests.Phi("run", "--model", _model, "--ids", "1,260", option, file, "--max-tokens", "3");
        Assert.Equal(1, exit);
        Assert.Equal(message, error.Trim());
    }
}
