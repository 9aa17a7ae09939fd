using System.CommandLine;
using PhiSharp.Generation;

namespace PhiSharp.Cli.Commands;

/// <summary>Sampling and length options shared by `run` and `chat`.</summary>
static class GenerationArguments
{
    public static readonly Option<int> MaxTokens = new Option<int>("--max-tokens", "-n") { Description = "Most tokens to generate", DefaultValueFactory = _ => 256 }.AtLeast(1);
    public static readonly Option<float> Temperature = new("--temperature") { Description = "0 = greedy (default)" };
    public static readonly Option<int> TopK = new("--top-k") { Description = "Sample among the k most likely tokens (0 = all)" };
    public static readonly Option<float> TopP = new("--top-p") { Description = "Nucleus sampling threshold", DefaultValueFactory = _ => 1f };
    public static readonly Option<float> MinP = new("--min-p") { Description = "Drop tokens below min-p × the top probability" };
    public static readonly Option<float> RepeatPenalty = new("--repeat-penalty") { Description = "HF repetition penalty (1 = off)", DefaultValueFactory = _ => 1f };
    public static readonly Option<ulong?> Seed = new("--seed") { Description = "Random seed: the same seed gives the same output" };
    public static readonly Option<string[]> Stop = new("--stop") { Description = "Stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };

    public static void AddTo(Command command)
    {
        foreach (var option in new Option[] { MaxTokens, Temperature, TopK, TopP, MinP, RepeatPenalty, Seed, Stop, ModelArguments.Context })
            command.Options.Add(option);
    }

    public static GenerationOptions Read(ParseResult parse) => new()
    {
        MaxTokens = parse.GetValue(MaxTokens),
        ContextLength = parse.GetValue(ModelArguments.Context),
        StopStrings = parse.GetValue(Stop) ?? [],
        Sampling = new SamplingOptions
        {
            Temperature = parse.GetValue(Temperature),
            TopK = parse.GetValue(TopK),
            TopP = parse.GetValue(TopP),
            MinP = parse.GetValue(MinP),
            RepetitionPenalty = parse.GetValue(RepeatPenalty),
            Seed = parse.GetValue(Seed),
        },
    };
}
