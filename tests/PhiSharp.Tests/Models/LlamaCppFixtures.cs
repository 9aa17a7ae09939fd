using System.Runtime.InteropServices;
using System.Text.Json;

namespace PhiSharp.Tests.Models;

/// <summary>
/// The GGUF logit fixtures made by tools/reference/llamacpp/logit_fixtures.py: tiny random-weight Phi models and the
/// logits llama.cpp computes for them (see tests/fixtures/llamacpp/manifest.json).
/// </summary>
static class LlamaCppFixtures
{
    public sealed record Case(string Name, string Model, int[] Ids, int Context, int[] Positions, bool IgnoreSlidingWindow);

    sealed record Manifest(int VocabSize, Case[] Cases);

    static readonly Lazy<Manifest> Loaded = new(() =>
        JsonSerializer.Deserialize<Manifest>(File.ReadAllText(Fixtures.Path("llamacpp", "manifest.json")),
            new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!);

    public static int VocabSize => Loaded.Value.VocabSize;

    public static Case Get(string name) => Loaded.Value.Cases.Single(c => c.Name == name);

    public static IEnumerable<string> Names => Loaded.Value.Cases.Select(c => c.Name);

    public static string ModelPath(Case c) => Fixtures.Path("llamacpp", c.Model);

    /// <summary>llama.cpp's logits for <paramref name="name"/>: one row of VocabSize per listed position.</summary>
    public static float[] ReferenceLogits(string name) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixtures.Path("llamacpp", name + ".f32"))).ToArray();
}
