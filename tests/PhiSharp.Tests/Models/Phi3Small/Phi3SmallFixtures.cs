using System.Runtime.InteropServices;
using System.Text.Json;

namespace PhiSharp.Tests.Models.Phi3Small;

/// <summary>
/// tests/fixtures/transformers/phi3small, made by tools/reference/transformers/phi3small_fixtures.py: tiny random
/// Phi-3-small folders and what Microsoft's remote code computes for them (logits at kept positions, or greedy
/// continuations with top-2 margins), plus the remote code's block masks (masks.json).
/// </summary>
static class Phi3SmallFixtures
{
    public sealed record Case(string Name, string Model, int[] Ids, int[]? Positions, int[]? Generated, double[]? Margins);

    public sealed record Mask(int Heads, int BlockSize, int LocalBlocks, int VertStride, bool HomoHead, int Tokens, string[][] Blocks);

    sealed record Manifest(string Transformers, int VocabSize, Case[] Cases);

    static readonly JsonSerializerOptions Options = new() { PropertyNameCaseInsensitive = true };

    static readonly Lazy<Manifest> Loaded = new(() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Fixtures.Path("transformers", "phi3small", "manifest.json")), Options)!);

    public static int VocabSize => Loaded.Value.VocabSize;

    public static Case Get(string name) => Loaded.Value.Cases.Single(c => c.Name == name);

    public static IEnumerable<string> LogitCases => Loaded.Value.Cases.Where(c => c.Positions is not null).Select(c => c.Name);

    public static IEnumerable<string> GreedyCases => Loaded.Value.Cases.Where(c => c.Generated is not null).Select(c => c.Name);

    public static string ModelFolder(Case c) => Fixtures.Path("transformers", "phi3small", c.Model);

    public static float[] ReferenceLogits(Case c) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixtures.Path("transformers", "phi3small", c.Name + ".f32"))).ToArray();

    public static Mask[] Masks() =>
        JsonSerializer.Deserialize<Mask[]>(File.ReadAllText(Fixtures.Path("transformers", "phi3small", "masks.json")), Options)!;
}
