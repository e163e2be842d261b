// Placeholder until the CLI lands (issue 3).
process.stdout.write(`mmapx ${__MMAPX_VERSION__}\n`);
