using System.CommandLine;
using PhiSharp.Cli;
using PhiSharp.Cli.Commands;

var root = new RootCommand("phi — run Microsoft Phi models in pure .NET");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(LogitsCommand.Create());
root.Subcommands.Add(RunCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(RagCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
var parse = root.Parse(args);
return CommandLineErrors.Failed(parse) ? CommandLineErrors.Report(parse) : await parse.InvokeAsync();
