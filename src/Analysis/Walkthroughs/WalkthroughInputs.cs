using System.Diagnostics;
using Interp.Analysis.Cases;
using Interp.Data;
using Interp.Models;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Analysis.Walkthroughs;

/// <summary>
/// The inputs the walkthroughs in examples/ study, found without setup: the induction model the main job wrote
/// (report/model), else one trained by `interp train induction` (runs/induction), else the small induction model
/// trained here in seconds and kept for the next walkthrough. A missing input given by path ends the program with one
/// line on stderr naming the command that makes it.
/// </summary>
public static class WalkthroughInputs
{
    const string SmallCache = "runs/walkthrough-induction";

    /// <summary>
    /// True (the console programs): a missing input ends the process with exit code 2. False (notebooks, where the
    /// process is the kernel): it throws a <see cref="FileNotFoundException"/> with the same line.
    /// </summary>
    public static bool ExitOnMissing { get; set; } = true;

    /// <summary>The induction model at <paramref name="dir"/>, or (when null) the first of report/model, runs/induction and the small cached one.</summary>
    public static HookedTransformer InductionModel(string? dir = null)
    {
        if (dir is not null)
            return IsModel(dir) ? HookedTransformer.Load(dir)
                : Exit<HookedTransformer>($"no model at '{dir}': `./interp` writes one to report/model, `interp train induction --out {dir}` trains one there");
        var found = Candidates().FirstOrDefault(IsModel);
        return found is not null ? HookedTransformer.Load(found) : TrainSmall(Path.Combine(Root(), SmallCache));
    }

    /// <summary>The EIS VII challenge CNN at <paramref name="path"/>, or at the shared data's eis7/mnist_model.pt when null.</summary>
    public static Cnn Eis7Cnn(string? path = null)
    {
        path ??= Cases.Eis7Cnn.DefaultModelPath;
        return path is not null && File.Exists(path) ? Cases.Eis7Cnn.LoadModel(path)
            : Exit<Cnn>($"no EIS VII model at '{path ?? "../shared/data/eis7/mnist_model.pt"}': it comes with the shared data folder (../shared/data next to the checkout, or set INTERP_SHARED_DATA)");
    }

    /// <summary>Where a walkthrough looks for the induction model when given none, in order.</summary>
    public static IEnumerable<string> Candidates()
    {
        foreach (string folder in new[] { Path.Combine("report", "model"), Path.Combine("runs", "induction"), SmallCache })
        {
            yield return folder;
            yield return Path.Combine(Root(), folder);
        }
    }

    static bool IsModel(string dir) => File.Exists(Path.Combine(dir, "config.json"));

    static string Root() => DataPaths.FindRepoRoot() ?? Directory.GetCurrentDirectory();

    static HookedTransformer TrainSmall(string dir)
    {
        var clock = Stopwatch.StartNew();
        var model = ToyModels.TrainInduction(InductionDemo.Small(steps: 300, seed: 0)).Model;
        model.Eval();
        model.Save(dir);
        Console.Error.WriteLine($"no report/model (`./interp` writes it): trained the small induction model in {clock.Elapsed.TotalSeconds:F0} s, kept in {dir}");
        return model;
    }

    static T Exit<T>(string line)
    {
        if (!ExitOnMissing) throw new FileNotFoundException(line);
        Console.Error.WriteLine(line);
        Environment.Exit(2);
        throw new UnreachableException();
    }
}
