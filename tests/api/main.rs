mod simulator;
mod simulator_e1e2;
mod simulator_e3;
mod simulator_e4;
mod simulator_faults;
