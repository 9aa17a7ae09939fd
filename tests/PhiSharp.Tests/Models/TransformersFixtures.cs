using System.Runtime.InteropServices;
using System.Text.Json;

namespace PhiSharp.Tests.Models;

/// <summary>
/// The Hugging Face fixtures made by tools/reference/transformers/logit_fixtures.py: tiny random-weight Phi models as
/// Hugging Face folders, and what transformers computes for them (see tests/fixtures/transformers/manifest.json).
/// A case holds either logits at kept positions or a greedy continuation with each step's top-2 margin.
/// </summary>
static class TransformersFixtures
{
    public sealed record Case(string Name, string Model, int[] Ids, int[]? Positions, int[]? Generated, double[]? Margins);

    sealed record Manifest(string Transformers, int VocabSize, Case[] Cases);

    static readonly Lazy<Manifest> Loaded = new(() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Fixtures.Path("transformers", "manifest.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    public static int VocabSize => Loaded.Value.VocabSize;

    public static Case Get(string name) => Loaded.Value.Cases.Single(c => c.Name == name);

    public static IEnumerable<string> LogitCases => Loaded.Value.Cases.Where(c => c.Positions is not null).Select(c => c.Name);

    public static IEnumerable<string> GreedyCases => Loaded.Value.Cases.Where(c => c.Generated is not null).Select(c => c.Name);

    public static string ModelFolder(Case c) => Fixtures.Path("transformers", c.Model);

    /// <summary>transformers' logits for <paramref name="c"/>: one row of VocabSize per kept position.</summary>
    public static float[] ReferenceLogits(Case c) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixtures.Path("transformers", c.Name + ".f32"))).ToArray();
}
