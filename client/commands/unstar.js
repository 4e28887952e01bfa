import { starCommand } from "./star.js";

export default starCommand(false);
