using System.Diagnostics;
using System.Text.Json;
using Json.Schema;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>
/// The property that matters: whatever a random-weight model would say, the constrained output parses with
/// System.Text.Json and validates against its schema with an independent validator (JsonSchema.Net), even when the
/// token budget is exactly the schema's shortest completion. Only the constraint can make such a model's output valid.
/// </summary>
public sealed class JsonSchemaOutputTests : IDisposable
{
    readonly LoadedTinyModel _tiny = new(path => TinyPhi3Gguf.Write(path));
    LanguageModel Model => _tiny.Model;

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void Outputs_for_1000_random_schemas_and_3_seeds_parse_and_validate_even_on_a_tight_budget()
    {
        var schemas = new RandomSchemas(seed: 2024);
        var generator = Model.Generator;
        var clock = Stopwatch.StartNew();
        int lengthFinishes = 0;
        for (int n = 0; n < 1000; n++)
        {
            var schemaNode = schemas.Next();
            string schemaText = schemaNode.ToJsonString();
            var grammar = JsonSchemaGrammar.FromSchema(schemaText);
            var validator = JsonSchema.FromText(schemaText);
            int shortest = generator.ShortestCompletion(grammar);
            for (ulong seed = 0; seed < 3; seed++)
            {
                // Seed 0 gets exactly the shortest budget; the others some room to ramble.
                int maxTokens = shortest + (int)(seed * seed * 4);
                var options = new GenerationOptions
                {
                    MaxTokens = maxTokens,
                    Grammar = grammar,
                    Sampling = new SamplingOptions { Temperature = 1.5f, Seed = seed + (ulong)n * 7 },
                };
                var tokens = generator.Generate([1, 260, 262], options).ToList();
                string text = string.Concat(tokens.Select(t => t.Text));
                if (tokens[^1].Finish == FinishReason.Length) lengthFinishes++;
                JsonElement parsed;
                try
                {
                    using var document = JsonDocument.Parse(text);
                    parsed = document.RootElement.Clone();
                }
                catch (JsonException e)
                {
                    throw new Xunit.Sdk.XunitException($"Schema {n} seed {seed}: output does not parse ({e.Message}).\nSchema: {schemaText}\nOutput: {text}");
                }
                var result = validator.Evaluate(parsed, new EvaluationOptions { OutputFormat = OutputFormat.List });
                if (!result.IsValid)
                {
                    var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
                    throw new Xunit.Sdk.XunitException($"Schema {n} seed {seed}: output is invalid ({string.Join("; ", errors)}).\nSchema: {schemaText}\nGrammar:\n{grammar.Text}\nOutput: {text}");
                }
                Assert.True(tokens.Count <= maxTokens);
            }
        }
        // The tight budgets must actually have been the reason some generations ended.
        Assert.True(lengthFinishes > 500, $"only {lengthFinishes} generations ended by length");
        Console.WriteLine($"1000 schemas x 3 seeds: {clock.Elapsed.TotalSeconds:F1} s");
    }
}
