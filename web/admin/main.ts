// The operator dashboard /admin (placeholder until the stats routes land).
import './admin.css';

document.getElementById('root')!.textContent = 'Qun admin';
