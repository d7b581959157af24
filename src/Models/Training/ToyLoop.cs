namespace Interp.Training;

/// <summary>
/// The loop shared by the toy transformers: train in chunks up to the next evaluation or checkpoint step, evaluate
/// every <c>evalEvery</c> steps and at the end, stop once <c>patience</c> evaluations in a row pass <c>hit</c>, save
/// checkpoints, and resume from one. Evaluations happen at the same steps whether or not the run was resumed, so a
/// resumed run's curve and stopping decision are those of a run that never stopped.
/// </summary>
sealed class ToyLoop<TOptions, TEval>(string verb, Trainer trainer, TOptions options, int evalEvery,
    Func<int, TEval> evaluate, Func<TEval, bool> hit, int patience) where TOptions : notnull
{
    /// <param name="ignoringSteps">the options with the step count blanked: a resumed run must match the saved one in all else</param>
    public (List<TEval> Curve, TEval Final, int Streak, bool Stopped) Run(Action<StepReport>? report, Action<TEval>? onEval,
        Func<bool>? stop, ToyCheckpoints? checkpoints, Func<TOptions, TOptions> ignoringSteps)
    {
        if (evalEvery <= 0) throw new ArgumentException($"{verb}: evaluation interval must be positive, got {evalEvery}");
        if (checkpoints is { Every: <= 0 }) throw new ArgumentException($"{verb}: checkpoint interval must be positive, got {checkpoints.Every}");
        var curve = new List<TEval>();
        int streak = 0, lastEval = -1;
        if (checkpoints is { Resume: true }) (curve, streak) = Resume(checkpoints.Dir, ignoringSteps);
        TEval? final = default;
        bool stopped = false;
        while (!trainer.Done && streak < patience && !stopped)
        {
            int next = Math.Min(NextMultiple(trainer.Step, evalEvery), trainer.TotalSteps);
            if (checkpoints is not null) next = Math.Min(next, NextMultiple(trainer.Step, checkpoints.Every));
            trainer.Run(maxSteps: next - trainer.Step, stop: stop, report: report);
            stopped = !trainer.Done && stop?.Invoke() == true;
            if (trainer.Step % evalEvery == 0 || trainer.Done)
            {
                final = evaluate(trainer.Step);
                lastEval = trainer.Step;
                curve.Add(final);
                onEval?.Invoke(final);
                streak = hit(final) ? streak + 1 : 0;
            }
            if (checkpoints is not null && (trainer.Step % checkpoints.Every == 0 || stopped || trainer.Done || streak >= patience))
                Checkpoint.Save(checkpoints.Dir, trainer, new ToyRunState<TOptions, TEval>(options, curve, streak));
        }
        if (lastEval != trainer.Step)
        {
            // stopped between evaluations, or resumed at or past the last step: the result is the model as it is now
            final = evaluate(trainer.Step);
            onEval?.Invoke(final);
        }
        return (curve, final!, streak, stopped);
    }

    (List<TEval> Curve, int Streak) Resume(string dir, Func<TOptions, TOptions> ignoringSteps)
    {
        if (!Checkpoint.Exists(dir)) throw new FileNotFoundException($"{verb}: no checkpoint to resume in '{dir}' (no {Checkpoint.RecordFile})");
        var saved = Checkpoint.ReadConfig<ToyRunState<TOptions, TEval>>(dir);
        if (!Equals(ignoringSteps(saved.Options), ignoringSteps(options)))
            throw new InvalidDataException($"{verb}: the checkpoint in '{dir}' is of another run: {saved.Options} (this one: {options})");
        Checkpoint.Load(dir, trainer);
        return (saved.Curve ?? [], saved.Streak);
    }

    static int NextMultiple(int step, int every) => (step / every + 1) * every;
}
