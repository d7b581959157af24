using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Text.Json;
using Interp.Cli;
using Interp.IO;

return CommandLine.Execute(args);

/// <summary>
/// <c>interp</c>: the verbs (each a Command class that parses, calls one library pipeline and prints), the help
/// generated from them, and one rule for mistakes: a bad argument or an unreadable file is one line on stderr,
/// "interp VERB: what is wrong", and exit status 1.
/// </summary>
public static class CommandLine
{
    public static RootCommand Root()
    {
        var demo = new DemoCommand();
        var root = new RootCommand("Interp: a tensor and autograd engine with mechanistic-interpretability tools. With no verb, runs the demo.")
        {
            demo,
            new Command("train", "Trains a model: mlp, cnn, induction or modadd.") { new TrainMlpCommand(), new TrainCnnCommand(), new TrainInductionCommand(), new TrainModAddCommand() },
            new TokensCommand(), new GenerateCommand(),
            new PatchCommand(), new AttribCommand(), new HeadsCommand(), new NormsCommand(), new LensCommand(),
            new SaeCommand(), new FeatvizCommand(), new UnspeakableCommand(),
            new NeuronsCommand(), new AblateCommand(), new PcaCommand(), new ReadoutCommand(), new FeaturesCommand(), new TransformCommand(), new RuleCommand(),
            new Command("case", "The case studies, each writing an HTML report: norms, docstring, eis7-cnn, eis7-transformer.")
            {
                new CaseNormsCommand(), new DocstringCaseCommand(), new Eis7CnnCaseCommand(), new Eis7TransformerCaseCommand(),
            },
        };
        root.HelpName = "interp";   // else the executable's name, which is the test host's in tests
        root.SetAction(_ => demo.Run(demo.Parse([])));
        ListVerbsByTheirFirstLine(root);
        return root;
    }

    // a verb's description is a one-line summary, a blank line, then the details: listings show the summary, its
    // own --help both
    static void ListVerbsByTheirFirstLine(RootCommand root)
    {
        var details = new Dictionary<Command, string>();
        void Split(Command command)
        {
            foreach (var verb in command.Subcommands)
            {
                var parts = (verb.Description ?? "").Split("\n\n", 2);
                verb.Description = parts[0];
                if (parts.Length > 1) details[verb] = parts[1];
                Split(verb);
            }
        }
        Split(root);
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithDetails((HelpAction)help.Action!, details);
    }

    sealed class HelpWithDetails(HelpAction help, Dictionary<Command, string> details) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult result)
        {
            int exit = help.Invoke(result);
            if (details.TryGetValue(result.CommandResult.Command, out var text))
                result.InvocationConfiguration.Output.WriteLine($"Details:\n  {text.TrimEnd().Replace("\n", "\n  ")}\n");
            return exit;
        }
    }

    /// <summary>The whole program, callable in-process (tests).</summary>
    public static int Execute(string[] args)
    {
        var result = Root().Parse(args);
        string verb = VerbOf(result);
        if (result.Errors.Count > 0)
        {
            string message = result.UnmatchedTokens.Count > 0 ? $"unexpected argument '{result.UnmatchedTokens[0]}'"
                : result.Errors[0].Message.Split('\n')[0].TrimEnd('.');
            Console.Error.WriteLine($"{verb}: {message} (see {verb} --help)");
            return 1;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = Console.Out, Error = Console.Error });
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"{verb}: {e.Message.Split('\n')[0]}");
            return 1;
        }
    }

    // what a user can cause and fix: named the bad argument or file, and no stack trace helps them
    static bool IsUserError(Exception e) => e is CliError or ArgumentException or IOException or InvalidDataException or JsonException
        or SafeTensorsFormatException or UnauthorizedAccessException or NotSupportedException;

    /// <summary>"interp train cnn" for the verb the arguments name.</summary>
    static string VerbOf(ParseResult result)
    {
        var names = new List<string>();
        for (SymbolResult? s = result.CommandResult; s is CommandResult c; s = c.Parent)
            names.Insert(0, c.Parent is null ? "interp" : c.Command.Name);
        return string.Join(' ', names);
    }
}
