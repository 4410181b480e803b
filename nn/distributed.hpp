#pragma once
// Data-parallel training on several processes, with MPI: `mpirun -np 4 program` starts four copies of
// a program; each holds the whole model, and fit gives each a part of every batch and adds their
// gradients before each step, so that all keep the same weights (as Horovod and Keras'
// MultiWorkerMirroredStrategy). A program takes part by creating a Processes at the top of main
// (run_program, nn/program.hpp, does it for the apps). Without mpirun, or in a build without MPI
// (meson -Dmpi=disabled), it is one process and nothing changes.
//
// Only process 0 prints and writes files: every file the library writes (write_file_atomically) is
// written by process 0 alone, OutputFolder stages the others' files in a temporary folder it then
// removes, and run_program silences the others' standard output (a program of its own checks
// process_rank() before it prints). fit, evaluate and predict are collective: every process calls
// them, with the same data and model.
//
// Determinism: fit computes each batch as FitOptions::row_blocks blocks of rows, each process some of
// them, and adds the blocks' gradients in one fixed binary tree, partly inside each process and then
// across them. A seeded run thus gives bitwise the same weights and history at any number of
// processes (up to row_blocks) and of threads; see FitOptions::row_blocks for the default.

namespace smallnet {

// Joins the MPI job this program was started in (by mpirun, mpiexec or srun, in a build with MPI) and
// leaves it when destroyed; in any other case the program is one process. One at a time, created
// before anything else runs (MPI starts its own threads); only the creating thread calls fit then.
class Processes {
public:
    Processes();
    ~Processes();
    Processes(const Processes&) = delete;
    Processes& operator=(const Processes&) = delete;
};

// This process's number in the job, 0 to process_count() - 1; 0 in a program of one process.
int process_rank();
// The processes of the job: 1 when no Processes is alive or the program was not started by mpirun.
int process_count();
// Whether this build of smallnet can run on several processes (built with Open MPI).
bool built_with_mpi();
// Ends every process of the job at once with `exit_code` (MPI_Abort): what a process that fails does
// after saying why, so that the others do not wait for it forever. Plain exit in one process.
[[noreturn]] void end_all_processes(int exit_code);

}  // namespace smallnet
